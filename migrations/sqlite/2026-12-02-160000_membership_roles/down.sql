DROP INDEX memberships_group_role;
