ALTER TABLE people DROP COLUMN mentor;
ALTER TABLE people DROP COLUMN org_unit;
ALTER TABLE people DROP COLUMN job_title;
