-- palpluss-stk's payment index in D1 (binding DB). Applied by `wrangler d1 migrations apply DB`,
-- or by the Worker itself on first use when some are missing (recorded in d1_migrations either
-- way). Migrations only ever grow: add a file, never edit one that has been applied.

-- One row per payment, written by its Payment object off the customer's path.
CREATE TABLE IF NOT EXISTS payments (
  id TEXT PRIMARY KEY,             -- PalPluss's transaction id
  created INTEGER NOT NULL,        -- unix ms: the push accepted
  updated INTEGER NOT NULL,        -- unix ms: the record's last change
  status TEXT NOT NULL,            -- PENDING, PROCESSING, SUCCESS, FAILED, CANCELLED, EXPIRED, REVERSED
  amount INTEGER NOT NULL,         -- whole shillings
  phone_masked TEXT NOT NULL,      -- 2547******78
  phone_hash TEXT NOT NULL,        -- hex HMAC-SHA256 of the full phone (keyed: see edge::index)
  account_reference TEXT NOT NULL,
  receipt TEXT,                    -- the M-Pesa receipt of a confirmed SUCCESS
  final_at INTEGER                 -- unix ms: when a final status was confirmed
);
CREATE INDEX IF NOT EXISTS payments_by_created ON payments (created DESC, id DESC);
CREATE INDEX IF NOT EXISTS payments_by_phone ON payments (phone_hash, created DESC);
CREATE INDEX IF NOT EXISTS payments_by_reference ON payments (account_reference, created DESC);

-- Every attempt to deliver a merchant event.
CREATE TABLE IF NOT EXISTS deliveries (
  event_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  type TEXT NOT NULL,              -- payment.succeeded, ...
  attempt INTEGER NOT NULL,        -- 1 for the first
  delivered INTEGER NOT NULL,      -- 1: the merchant answered 2xx
  at INTEGER NOT NULL,             -- unix ms
  PRIMARY KEY (event_id, attempt)
);
CREATE INDEX IF NOT EXISTS deliveries_by_payment ON deliveries (payment_id, at);

-- The proxy's own refusals of pushes (the guard at work), counted per hour and code. Each isolate
-- tallies in memory and adds its counts at most once a minute, so a flood of refused requests
-- costs a few writes, not one each.
CREATE TABLE IF NOT EXISTS refusals (
  hour INTEGER NOT NULL,           -- unix ms / 3,600,000
  code TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (hour, code)
);
