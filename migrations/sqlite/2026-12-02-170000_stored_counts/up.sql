-- Counts a reader sees beside every person, group and post (followers, following, members,
-- replies, likes), kept on the rows by triggers so that reading a timeline does not count them
-- again for every item. Triggers, not application code, so that every path that writes the
-- rows (follows accepted or undone, memberships changing state, posts deleted, accounts
-- removed with their rows) keeps them right.
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

CREATE TRIGGER follows_counted_insert AFTER INSERT ON follows WHEN NEW.accepted BEGIN
  UPDATE people SET followers_count = followers_count + (id = NEW.followed_id), following_count = following_count + (id = NEW.follower_id)
    WHERE id IN (NEW.followed_id, NEW.follower_id);
END;
CREATE TRIGGER follows_counted_delete AFTER DELETE ON follows WHEN OLD.accepted BEGIN
  UPDATE people SET followers_count = followers_count - (id = OLD.followed_id), following_count = following_count - (id = OLD.follower_id)
    WHERE id IN (OLD.followed_id, OLD.follower_id);
END;
CREATE TRIGGER follows_counted_update AFTER UPDATE OF accepted, follower_id, followed_id ON follows BEGIN
  UPDATE people SET followers_count = followers_count - (id = OLD.followed_id), following_count = following_count - (id = OLD.follower_id)
    WHERE OLD.accepted AND id IN (OLD.followed_id, OLD.follower_id);
  UPDATE people SET followers_count = followers_count + (id = NEW.followed_id), following_count = following_count + (id = NEW.follower_id)
    WHERE NEW.accepted AND id IN (NEW.followed_id, NEW.follower_id);
END;

CREATE TRIGGER memberships_counted_insert AFTER INSERT ON memberships WHEN NEW.state = 'active' BEGIN
  UPDATE groups SET members_count = members_count + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER memberships_counted_delete AFTER DELETE ON memberships WHEN OLD.state = 'active' BEGIN
  UPDATE groups SET members_count = members_count - 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER memberships_counted_update AFTER UPDATE OF state, group_id ON memberships BEGIN
  UPDATE groups SET members_count = members_count - 1 WHERE OLD.state = 'active' AND id = OLD.group_id;
  UPDATE groups SET members_count = members_count + 1 WHERE NEW.state = 'active' AND id = NEW.group_id;
END;

CREATE TRIGGER posts_replies_counted_insert AFTER INSERT ON posts WHEN NEW.in_reply_to_id IS NOT NULL AND NEW.deleted_at IS NULL BEGIN
  UPDATE posts SET replies_count = replies_count + 1 WHERE id = NEW.in_reply_to_id;
END;
CREATE TRIGGER posts_replies_counted_delete AFTER DELETE ON posts WHEN OLD.in_reply_to_id IS NOT NULL AND OLD.deleted_at IS NULL BEGIN
  UPDATE posts SET replies_count = replies_count - 1 WHERE id = OLD.in_reply_to_id;
END;
CREATE TRIGGER posts_replies_counted_update AFTER UPDATE OF in_reply_to_id, deleted_at ON posts BEGIN
  UPDATE posts SET replies_count = replies_count - 1 WHERE OLD.in_reply_to_id IS NOT NULL AND OLD.deleted_at IS NULL AND id = OLD.in_reply_to_id;
  UPDATE posts SET replies_count = replies_count + 1 WHERE NEW.in_reply_to_id IS NOT NULL AND NEW.deleted_at IS NULL AND id = NEW.in_reply_to_id;
END;

CREATE TRIGGER favourites_counted_insert AFTER INSERT ON favourites BEGIN
  UPDATE posts SET favourites_count = favourites_count + 1 WHERE id = NEW.post_id;
END;
CREATE TRIGGER favourites_counted_delete AFTER DELETE ON favourites BEGIN
  UPDATE posts SET favourites_count = favourites_count - 1 WHERE id = OLD.post_id;
END;

-- A person's threads outside groups, newest first: what home reads for each person followed.
CREATE INDEX posts_personal_threads ON posts (author_id, id) WHERE group_id IS NULL AND root_id IS NULL AND deleted_at IS NULL;
