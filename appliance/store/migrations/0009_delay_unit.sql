-- What a doctype's delay counts: 'working_days', 'calendar_days' or
-- 'months'. Every delay so far was in working days.
ALTER TABLE doctypes ADD COLUMN delay_unit TEXT NOT NULL DEFAULT 'working_days';
-- missive:data
-- SVA and SVR doctypes left at the delay Missive seeded (40 working days,
-- meant as two months) now count the law's two calendar months (CRPA
-- L231-1, L231-4). A delay an administrator chose is left as it is. The
-- same rule replays the older log entries (appliance.legacyDelay), and runs
-- again on a snapshot written before this migration.
UPDATE doctypes SET delay_unit = 'months', delay_days = 2
  WHERE mode IN ('sva', 'svr') AND delay_days = 40 AND delay_unit = 'working_days';
-- missive:report doctype delay changed from 40 working days to 2 calendar months
SELECT tenant_id AS tenant, code AS doctype, label FROM doctypes WHERE delay_unit = 'months' ORDER BY tenant_id, code;
