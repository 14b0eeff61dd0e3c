//! The one schema both backends share: BigInt ids, Text, Bool and Timestamp (UTC, no zone).
//! Written by hand to match `sqlite/` and `postgres/` migrations; `tests` checks they agree.

diesel::table! {
    people (id) {
        id -> BigInt,
        username -> Text,
        domain -> Nullable<Text>,
        display_name -> Text,
        bio -> Text,
        bio_html -> Text,
        department -> Text,
        ap_id -> Nullable<Text>,
        inbox_url -> Nullable<Text>,
        shared_inbox_url -> Nullable<Text>,
        public_key -> Nullable<Text>,
        private_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_fetched_at -> Nullable<Timestamp>,
        avatar_id -> Nullable<BigInt>,
        avatar_url -> Nullable<Text>,
        job_title -> Text,
        org_unit -> Text,
        mentor -> Bool,
        deleted_at -> Nullable<Timestamp>,
        posts_count -> BigInt,
        followers_count -> BigInt,
        following_count -> BigInt,
    }
}

diesel::table! {
    local_accounts (person_id) {
        person_id -> BigInt,
        password_hash -> Text,
        is_admin -> Bool,
        locale -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    person_expertise (person_id, tag) {
        person_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    follows (follower_id, followed_id) {
        follower_id -> BigInt,
        followed_id -> BigInt,
        accepted -> Bool,
        created_at -> Timestamp,
        follow_ap_id -> Nullable<Text>,
    }
}

diesel::table! {
    groups (id) {
        id -> BigInt,
        name -> Text,
        domain -> Nullable<Text>,
        display_name -> Text,
        note -> Text,
        note_html -> Text,
        scope -> Text,
        visibility -> Text,
        announcements_only -> Bool,
        ap_id -> Nullable<Text>,
        inbox_url -> Nullable<Text>,
        shared_inbox_url -> Nullable<Text>,
        public_key -> Nullable<Text>,
        private_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_fetched_at -> Nullable<Timestamp>,
        partner_domains -> Text,
        avatar_id -> Nullable<BigInt>,
        avatar_url -> Nullable<Text>,
        members_count -> BigInt,
    }
}

diesel::table! {
    memberships (group_id, person_id) {
        group_id -> BigInt,
        person_id -> BigInt,
        role -> Text,
        state -> Text,
        invited_by_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        follow_ap_id -> Nullable<Text>,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        ap_id -> Nullable<Text>,
        author_id -> BigInt,
        group_id -> Nullable<BigInt>,
        in_reply_to_id -> Nullable<BigInt>,
        root_id -> Nullable<BigInt>,
        visibility -> Text,
        source -> Text,
        content_html -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        files_text -> Text,
        replies_count -> BigInt,
        favourites_count -> BigInt,
    }
}

diesel::table! {
    favourites (post_id, person_id) {
        post_id -> BigInt,
        person_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentions (post_id, person_id) {
        post_id -> BigInt,
        person_id -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        recipient_id -> BigInt,
        kind -> Text,
        actor_id -> BigInt,
        post_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        client_id -> Text,
        client_secret -> Text,
        name -> Text,
        redirect_uris -> Text,
        scopes -> Text,
        website -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_codes (id) {
        id -> BigInt,
        code_hash -> Text,
        app_id -> BigInt,
        person_id -> BigInt,
        redirect_uri -> Text,
        scopes -> Text,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        app_id -> Nullable<BigInt>,
        person_id -> Nullable<BigInt>,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        attempts -> Integer,
        run_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
        target -> Nullable<Text>,
    }
}

diesel::table! {
    servers (domain) {
        domain -> Text,
        failing_since -> Nullable<Timestamp>,
        dead_since -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        software -> Nullable<Text>,
        last_refusal -> Nullable<Text>,
        last_refusal_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sent_activities (ap_id) {
        ap_id -> Text,
        json -> Text,
        public -> Bool,
        audience -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        owner_id -> BigInt,
        post_id -> Nullable<BigInt>,
        position -> BigInt,
        kind -> Text,
        content_type -> Text,
        file_name -> Text,
        size -> BigInt,
        width -> Nullable<BigInt>,
        height -> Nullable<BigInt>,
        preview_width -> Nullable<BigInt>,
        preview_height -> Nullable<BigInt>,
        description -> Text,
        focus -> Text,
        blurhash -> Nullable<Text>,
        file_key -> Nullable<Text>,
        preview_key -> Nullable<Text>,
        token -> Text,
        remote_url -> Nullable<Text>,
        created_at -> Timestamp,
        text -> Text,
    }
}

diesel::table! {
    sso_sign_ins (state_hash) {
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sso_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        person_id -> BigInt,
        email -> Text,
        created_at -> Timestamp,
        last_sign_in_at -> Timestamp,
    }
}

diesel::table! {
    account_deletions (id) {
        id -> BigInt,
        person_id -> BigInt,
        username -> Text,
        activity_id -> Text,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    deletion_deliveries (deletion_id, domain) {
        deletion_id -> BigInt,
        domain -> Text,
        state -> Text,
        detail -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(local_accounts -> people (person_id));
diesel::joinable!(person_expertise -> people (person_id));
diesel::joinable!(memberships -> groups (group_id));
diesel::joinable!(posts -> people (author_id));
diesel::joinable!(posts -> groups (group_id));
diesel::joinable!(favourites -> posts (post_id));
diesel::joinable!(mentions -> posts (post_id));
diesel::joinable!(oauth_codes -> oauth_apps (app_id));
diesel::joinable!(oauth_tokens -> oauth_apps (app_id));

diesel::allow_tables_to_appear_in_same_query!(
    people,
    local_accounts,
    person_expertise,
    follows,
    groups,
    memberships,
    posts,
    favourites,
    mentions,
    notifications,
    oauth_apps,
    oauth_codes,
    oauth_tokens,
    settings,
    jobs,
    servers,
    sent_activities,
    media,
    sso_sign_ins,
    sso_identities,
    account_deletions,
    deletion_deliveries,
);
