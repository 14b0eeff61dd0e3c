-- Profiles that make people findable: a job title and an organisation unit beside department
-- and expertise, and whether someone is available as a mentor (a directory filter).
ALTER TABLE people ADD COLUMN job_title TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN org_unit TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN mentor BOOLEAN NOT NULL DEFAULT 0;
