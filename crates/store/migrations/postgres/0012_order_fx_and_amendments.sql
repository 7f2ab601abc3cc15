-- The deal: the exchange rates an order locks when both sides agree (domain FxLock as
-- JSON), and an amendment waiting for the other side's answer (domain Amendment as JSON).
ALTER TABLE orders ADD COLUMN fx_lock TEXT;
ALTER TABLE orders ADD COLUMN pending_amendment TEXT;
