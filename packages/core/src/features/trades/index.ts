/** Trades: team-to-team vector exchange (propose, accept, decline, counter, withdraw, expire). */
export { proposeTrade, DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MAX_ITEMS_PER_SIDE, type ProposeTradeInput, type TradeTerms } from "./propose";
export { acceptTrade, declineTrade, withdrawTrade, counterTrade } from "./answer";
export { listTradeOffers, getTradeOffer, tradeFormOptions, type TradeBox, type TradeOfferView, type TradeFormOptions } from "./queries";
export { expireStale as expireStaleTradeOffers, type TradeOfferInfo, type TradeStatus, type TradeVectorRef } from "./offers";
