-- What an assistance list discloses is fixed when the school sends it: each
-- item's packet (the pupil's name, gender, school, grade and the first
-- guardian's name and phone at that moment) is sealed into the item, and the
-- agency and the export read that, not the live roster. NULL for items of
-- lists sent before this migration, which fall back to the roster.
ALTER TABLE assist_items ADD COLUMN packet {{BLOB}};
