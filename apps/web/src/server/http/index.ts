// What route handlers import: the error wrapper, JSON helpers and multipart.
export { withErrors, errorResponse, describeError, HttpError, type RouteContext, type ApiErrorBody } from "./errors";
export { json, toJson, readJson, readQuery } from "./json";
export { parseMultipart, isMultipart, type UploadedFile, type MultipartResult } from "./multipart";
export { parseRangeHeader } from "./range";

/** 204 No Content. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}
