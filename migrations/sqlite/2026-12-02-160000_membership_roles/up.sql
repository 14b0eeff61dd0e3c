-- A group's owners and moderators, looked up for every delivery the group signs (its actor
-- names them): found by role, not by reading every membership of a large group.
CREATE INDEX memberships_group_role ON memberships (group_id, role, state);
