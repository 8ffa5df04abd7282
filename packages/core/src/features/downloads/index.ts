/** Downloads: entitled, ranged, counted file access to versions. */
export { openVersionDownload, type VersionDownload, type RangeRequest } from "./downloads";
