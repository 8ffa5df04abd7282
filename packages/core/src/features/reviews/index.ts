/** Reviews: stars and text from entitled users, one per user per vector. */
export { writeReview, listReviews, type ReviewInfo, type ReviewInput, type ReviewList, type ReviewEligibility } from "./reviews";
