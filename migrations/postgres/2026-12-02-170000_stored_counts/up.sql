-- Counts a reader sees beside every person, group and post (followers, following, members,
-- replies, likes), kept on the rows by triggers so that reading a timeline does not count them
-- again for every item. Triggers, not application code, so that every path that writes the
-- rows (follows accepted or undone, memberships changing state, posts deleted, accounts
-- removed with their rows) keeps them right. A follow changes both people's rows in one
-- statement, so two people following each other at once lock the rows in the same order.
ALTER TABLE people ADD COLUMN followers_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN following_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN members_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN replies_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN favourites_count BIGINT NOT NULL DEFAULT 0;

UPDATE people SET
  followers_count = (SELECT COUNT(*) FROM follows WHERE follows.followed_id = people.id AND follows.accepted),
  following_count = (SELECT COUNT(*) FROM follows WHERE follows.follower_id = people.id AND follows.accepted);
UPDATE groups SET members_count = (SELECT COUNT(*) FROM memberships WHERE memberships.group_id = groups.id AND memberships.state = 'active');
UPDATE posts SET replies_count = (SELECT COUNT(*) FROM posts r WHERE r.in_reply_to_id = posts.id AND r.deleted_at IS NULL)
  WHERE id IN (SELECT in_reply_to_id FROM posts WHERE in_reply_to_id IS NOT NULL);
UPDATE posts SET favourites_count = (SELECT COUNT(*) FROM favourites WHERE favourites.post_id = posts.id)
  WHERE id IN (SELECT post_id FROM favourites);

CREATE FUNCTION follows_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.accepted THEN
      UPDATE people SET followers_count = followers_count - (id = OLD.followed_id)::int, following_count = following_count - (id = OLD.follower_id)::int
        WHERE id IN (OLD.followed_id, OLD.follower_id);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.accepted THEN
      UPDATE people SET followers_count = followers_count + (id = NEW.followed_id)::int, following_count = following_count + (id = NEW.follower_id)::int
        WHERE id IN (NEW.followed_id, NEW.follower_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER follows_counted AFTER INSERT OR DELETE OR UPDATE OF accepted, follower_id, followed_id ON follows
  FOR EACH ROW EXECUTE FUNCTION follows_counted();

CREATE FUNCTION memberships_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.state = 'active' THEN
      UPDATE groups SET members_count = members_count - 1 WHERE id = OLD.group_id;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.state = 'active' THEN
      UPDATE groups SET members_count = members_count + 1 WHERE id = NEW.group_id;
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER memberships_counted AFTER INSERT OR DELETE OR UPDATE OF state, group_id ON memberships
  FOR EACH ROW EXECUTE FUNCTION memberships_counted();

CREATE FUNCTION posts_replies_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF OLD.in_reply_to_id IS NOT NULL AND OLD.deleted_at IS NULL THEN
      UPDATE posts SET replies_count = replies_count - 1 WHERE id = OLD.in_reply_to_id;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.in_reply_to_id IS NOT NULL AND NEW.deleted_at IS NULL THEN
      UPDATE posts SET replies_count = replies_count + 1 WHERE id = NEW.in_reply_to_id;
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER posts_replies_counted AFTER INSERT OR DELETE OR UPDATE OF in_reply_to_id, deleted_at ON posts
  FOR EACH ROW EXECUTE FUNCTION posts_replies_counted();

CREATE FUNCTION favourites_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE posts SET favourites_count = favourites_count - 1 WHERE id = OLD.post_id;
  ELSE
    UPDATE posts SET favourites_count = favourites_count + 1 WHERE id = NEW.post_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER favourites_counted AFTER INSERT OR DELETE ON favourites
  FOR EACH ROW EXECUTE FUNCTION favourites_counted();

-- A person's threads outside groups, newest first: what home reads for each person followed.
CREATE INDEX posts_personal_threads ON posts (author_id, id) WHERE group_id IS NULL AND root_id IS NULL AND deleted_at IS NULL;
