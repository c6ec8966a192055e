-- The dashboards' trends read the city's and districts' snapshots only;
-- every school's are kept too (some 475,000 rows for 452 schools over five
-- years), so reading by date alone scanned them all.
CREATE INDEX target_snapshots_kind ON target_snapshots (node_kind, taken_on);
