-- The desktop app asks every few seconds which warranties end within 30 days.
CREATE INDEX products_by_warranty_end ON products (warranty_until);
