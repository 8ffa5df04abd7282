/** Catalog: public search, vector pages, task and tag lists. */
export { searchCatalog, listTasks, listTags, type CatalogQuery, type CatalogPage } from "./search";
export { getVector, type VectorDetail } from "./vector";
export { publicVectorWhere, type VectorSummary, type ListingInfo } from "./summary";
