-- From intent to ownership: products that came from an order, with their proof of
-- purchase, and support requests that are warranty claims or returns.

-- The accepted offer a product came from (its inbox id), the order's latest status,
-- and the proof of purchase: the signed offer, acceptance and order updates as one
-- bundle in its RFC 8785 form. NULL for products the person added by hand.
ALTER TABLE products ADD COLUMN offer TEXT;
ALTER TABLE products ADD COLUMN order_status TEXT;
ALTER TABLE products ADD COLUMN proof TEXT;
CREATE UNIQUE INDEX products_by_offer ON products (offer) WHERE offer IS NOT NULL;

-- question, warranty-claim or return-request.
ALTER TABLE support_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'question';

-- A product the person already added for an intent (the one they mean to buy): the
-- order that intent leads to completes it rather than adding another.
ALTER TABLE intents ADD COLUMN product_id TEXT REFERENCES products (id) ON DELETE SET NULL;
