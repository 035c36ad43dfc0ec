-- index caption_sync_retry
CREATE INDEX caption_sync_retry ON caption_sync(retry_at) WHERE retry_at IS NOT NULL;
-- index change_log_video
CREATE INDEX change_log_video ON change_log(hashed_id);
-- index idx__sqlite_migrations_migration_set_name
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
-- index publish_bucket_pages
CREATE INDEX publish_bucket_pages ON publish_buckets (playlist, start_key, size, page);
-- index published_files_expiry
CREATE INDEX published_files_expiry ON published_files(expires_at)
            WHERE expires_at IS NOT NULL;
-- index published_files_key
CREATE UNIQUE INDEX published_files_key ON published_files(key);
-- index search_shard_starts
CREATE INDEX search_shard_starts ON search_shards (kind, start_term, start_number, path, postings);
-- index video_slugs_shard
CREATE INDEX video_slugs_shard ON video_slugs(shard);
-- index video_tags_tag
CREATE INDEX video_tags_tag ON video_tags(tag_id);
-- index videos_created
CREATE INDEX videos_created ON videos(created DESC, hashed_id);
-- index videos_folder
CREATE INDEX videos_folder ON videos(folder_hashed_id);
-- index webhook_events_state
CREATE INDEX webhook_events_state ON webhook_events(state, received_at);
-- table _sqlite_migrations
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
-- table caption_sync
CREATE TABLE caption_sync (
            hashed_id TEXT PRIMARY KEY,
            chapters TEXT NOT NULL DEFAULT '[]',
            synced_updated TEXT,
            synced_at TEXT,
            full_round INTEGER NOT NULL DEFAULT 0,
            notes TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            retry_at TEXT
        );
-- table change_log
CREATE TABLE change_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            hashed_id TEXT,
            tag TEXT,
            before TEXT,
            after TEXT
        );
-- table change_tracking_paused
CREATE TABLE change_tracking_paused (paused INTEGER PRIMARY KEY CHECK (paused = 1));
-- table deliveries
CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            target TEXT NOT NULL,
            generation TEXT,
            uploaded INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            purge TEXT,
            purged INTEGER NOT NULL DEFAULT 0,
            purge_error TEXT
        );
-- table delivery_intents
CREATE TABLE delivery_intents (
            target TEXT NOT NULL,
            path TEXT NOT NULL,
            intended_at TEXT NOT NULL,
            PRIMARY KEY (target, path)
        ) WITHOUT ROWID;
-- table delivery_owed
CREATE TABLE delivery_owed (target TEXT PRIMARY KEY, first_failed_at TEXT NOT NULL, last_failed_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1, last_error TEXT NOT NULL);
-- table delivery_reconciles
CREATE TABLE delivery_reconciles (
            target TEXT PRIMARY KEY,
            reconciled_at TEXT NOT NULL,
            objects INTEGER NOT NULL
        );
-- table folders
CREATE TABLE folders (
            hashed_id TEXT PRIMARY KEY,
            id INTEGER,
            name TEXT NOT NULL
        );
-- table freshness
CREATE TABLE freshness (
            generation TEXT NOT NULL,
            base_url TEXT NOT NULL,
            published_at TEXT NOT NULL,
            fresh_at TEXT NOT NULL,
            latency_seconds REAL NOT NULL,
            repurged INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (generation, base_url)
        );
-- table media_failures
CREATE TABLE media_failures (hashed_id TEXT NOT NULL, endpoint TEXT NOT NULL CHECK (endpoint IN ('stats', 'media')), failures INTEGER NOT NULL, first_failed_at TEXT NOT NULL, last_failed_at TEXT NOT NULL, retry_at TEXT NOT NULL, error TEXT NOT NULL, PRIMARY KEY (hashed_id, endpoint));
-- table publish_buckets
CREATE TABLE publish_buckets (
            playlist TEXT NOT NULL,
            start_key TEXT NOT NULL,
            size INTEGER NOT NULL,
            page TEXT, members TEXT,
            PRIMARY KEY (playlist, start_key)
        ) WITHOUT ROWID;
-- table publish_changes
CREATE TABLE publish_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('video', 'tag', 'folder')),
            key TEXT NOT NULL
        );
-- table publish_file_nodes
CREATE TABLE publish_file_nodes (
            level INTEGER NOT NULL,
            start TEXT NOT NULL,
            shards INTEGER NOT NULL,
            files INTEGER NOT NULL,
            first TEXT NOT NULL,
            page TEXT,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            PRIMARY KEY (level, start)
        ) WITHOUT ROWID;
-- table publish_file_shards
CREATE TABLE publish_file_shards (
            start TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            page TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL
        ) WITHOUT ROWID;
-- table publish_pages
CREATE TABLE publish_pages (
            page TEXT PRIMARY KEY,
            videos TEXT NOT NULL
        ) WITHOUT ROWID;
-- table publish_playlists
CREATE TABLE publish_playlists (
            playlist TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            count INTEGER NOT NULL
        );
-- table publish_videos
CREATE TABLE publish_videos (
            hashed_id TEXT PRIMARY KEY,
            json TEXT NOT NULL
        , sort_key TEXT, playlists TEXT) WITHOUT ROWID;
-- table published_files
CREATE TABLE published_files (
            path TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL
        , cache TEXT NOT NULL DEFAULT 'entry', expires_at TEXT, key TEXT);
-- table purge_pending
CREATE TABLE purge_pending (
            provider TEXT NOT NULL,
            path TEXT NOT NULL,
            first_failed_at TEXT NOT NULL,
            last_error TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (provider, path)
        );
-- table purge_spend
CREATE TABLE purge_spend (
            month TEXT NOT NULL,
            provider TEXT NOT NULL,
            paths INTEGER NOT NULL DEFAULT 0,
            calls INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (month, provider)
        );
-- table rejected_media
CREATE TABLE rejected_media (key TEXT PRIMARY KEY, hashed_id TEXT, reason TEXT NOT NULL, raw TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);
-- table search_shards
CREATE TABLE search_shards (
            kind TEXT NOT NULL,
            start_term TEXT NOT NULL,
            start_number INTEGER NOT NULL,
            path TEXT NOT NULL,
            postings INTEGER NOT NULL,
            body TEXT,
            PRIMARY KEY (kind, start_term, start_number)
        ) WITHOUT ROWID;
-- table search_videos
CREATE TABLE search_videos (
            hashed_id TEXT PRIMARY KEY,
            number INTEGER NOT NULL UNIQUE,
            terms TEXT NOT NULL,
            record TEXT NOT NULL
        );
-- table sqlite_sequence
CREATE TABLE sqlite_sequence(name,seq);
-- table sync_runs
CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            mode TEXT NOT NULL,
            source TEXT NOT NULL,
            outcome TEXT NOT NULL DEFAULT 'running',
            requests INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            archived INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            stats_fetched INTEGER NOT NULL DEFAULT 0,
            error TEXT
        , rejected INTEGER NOT NULL DEFAULT 0, warnings TEXT);
-- table sync_state
CREATE TABLE sync_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
-- table tags
CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            slug TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
-- table video_captions
CREATE TABLE video_captions (
            hashed_id TEXT NOT NULL,
            lang TEXT NOT NULL,
            label TEXT NOT NULL,
            wistia_id TEXT,
            cues TEXT NOT NULL,
            digest TEXT NOT NULL,
            transcript TEXT NOT NULL,
            PRIMARY KEY (hashed_id, lang)
        ) WITHOUT ROWID;
-- table video_slugs
CREATE TABLE video_slugs (
            seq INTEGER PRIMARY KEY,
            hashed_id TEXT NOT NULL UNIQUE,
            slug TEXT NOT NULL UNIQUE,
            shard INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
-- table video_tags
CREATE TABLE video_tags (
            hashed_id TEXT NOT NULL REFERENCES videos(hashed_id),
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            source TEXT NOT NULL CHECK (source IN ('wistia', 'editor')),
            added_at TEXT NOT NULL,
            PRIMARY KEY (hashed_id, tag_id, source)
        );
-- table videos
CREATE TABLE videos (
            hashed_id TEXT PRIMARY KEY,
            id INTEGER,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0,
            duration REAL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            thumbnail_url TEXT,
            folder_hashed_id TEXT REFERENCES folders(hashed_id),
            plays INTEGER,
            plays_fetched_at TEXT,
            stats_error TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            deleted_at TEXT,
            visibility TEXT NOT NULL DEFAULT 'public'
                CHECK (visibility IN ('public', 'hidden'))
        , width INTEGER, height INTEGER, protected INTEGER NOT NULL DEFAULT 0);
-- table webhook_deletions
CREATE TABLE webhook_deletions (
            hashed_id TEXT PRIMARY KEY,
            reported_at REAL NOT NULL,
            checks INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
-- table webhook_events
CREATE TABLE webhook_events (
            uuid TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            hashed_id TEXT,
            account_id TEXT,
            generated_at TEXT,
            received_at REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'applied', 'ignored', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            applied_at REAL
        );
-- trigger caption_sync_changes_delete
CREATE TRIGGER caption_sync_changes_delete AFTER DELETE ON caption_sync WHEN OLD.chapters != '[]' BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger caption_sync_changes_insert
CREATE TRIGGER caption_sync_changes_insert AFTER INSERT ON caption_sync WHEN NEW.chapters != '[]' BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger caption_sync_changes_update
CREATE TRIGGER caption_sync_changes_update AFTER UPDATE ON caption_sync WHEN OLD.chapters IS NOT NEW.chapters BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger folders_changes_delete
CREATE TRIGGER folders_changes_delete AFTER DELETE ON folders BEGIN INSERT INTO publish_changes (kind, key) VALUES ('folder', OLD.hashed_id); END;
-- trigger folders_changes_insert
CREATE TRIGGER folders_changes_insert AFTER INSERT ON folders BEGIN INSERT INTO publish_changes (kind, key) VALUES ('folder', NEW.hashed_id); END;
-- trigger folders_changes_update
CREATE TRIGGER folders_changes_update AFTER UPDATE ON folders WHEN OLD.name IS NOT NEW.name BEGIN INSERT INTO publish_changes (kind, key) VALUES ('folder', OLD.hashed_id); INSERT INTO publish_changes (kind, key) VALUES ('folder', NEW.hashed_id); END;
-- trigger folders_content_delete
CREATE TRIGGER folders_content_delete AFTER DELETE ON folders BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger folders_content_insert
CREATE TRIGGER folders_content_insert AFTER INSERT ON folders BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger folders_content_update
CREATE TRIGGER folders_content_update AFTER UPDATE ON folders WHEN OLD.name IS NOT NEW.name BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger tags_changes_delete
CREATE TRIGGER tags_changes_delete AFTER DELETE ON tags BEGIN INSERT INTO publish_changes (kind, key) VALUES ('tag', OLD.id); END;
-- trigger tags_changes_insert
CREATE TRIGGER tags_changes_insert AFTER INSERT ON tags BEGIN INSERT INTO publish_changes (kind, key) VALUES ('tag', NEW.id); END;
-- trigger tags_changes_update
CREATE TRIGGER tags_changes_update AFTER UPDATE ON tags WHEN OLD.name IS NOT NEW.name OR OLD.slug IS NOT NEW.slug BEGIN INSERT INTO publish_changes (kind, key) VALUES ('tag', OLD.id); INSERT INTO publish_changes (kind, key) VALUES ('tag', NEW.id); END;
-- trigger tags_content_delete
CREATE TRIGGER tags_content_delete AFTER DELETE ON tags BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger tags_content_insert
CREATE TRIGGER tags_content_insert AFTER INSERT ON tags BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger tags_content_update
CREATE TRIGGER tags_content_update AFTER UPDATE ON tags WHEN OLD.name IS NOT NEW.name OR OLD.slug IS NOT NEW.slug BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger video_captions_changes_delete
CREATE TRIGGER video_captions_changes_delete AFTER DELETE ON video_captions WHEN 1 BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger video_captions_changes_insert
CREATE TRIGGER video_captions_changes_insert AFTER INSERT ON video_captions WHEN 1 BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger video_captions_changes_update
CREATE TRIGGER video_captions_changes_update AFTER UPDATE ON video_captions WHEN OLD.label IS NOT NEW.label OR OLD.cues IS NOT NEW.cues OR OLD.lang IS NOT NEW.lang BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger video_tags_changes_delete
CREATE TRIGGER video_tags_changes_delete AFTER DELETE ON video_tags WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); END;
-- trigger video_tags_changes_insert
CREATE TRIGGER video_tags_changes_insert AFTER INSERT ON video_tags WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); END;
-- trigger video_tags_changes_update
CREATE TRIGGER video_tags_changes_update AFTER UPDATE ON video_tags WHEN OLD.hashed_id IS NOT NEW.hashed_id OR OLD.tag_id IS NOT NEW.tag_id OR OLD.source IS NOT NEW.source BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); END;
-- trigger video_tags_content_delete
CREATE TRIGGER video_tags_content_delete AFTER DELETE ON video_tags WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger video_tags_content_insert
CREATE TRIGGER video_tags_content_insert AFTER INSERT ON video_tags WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger video_tags_content_update
CREATE TRIGGER video_tags_content_update AFTER UPDATE ON video_tags WHEN OLD.hashed_id IS NOT NEW.hashed_id OR OLD.tag_id IS NOT NEW.tag_id OR OLD.source IS NOT NEW.source BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger videos_changes_delete
CREATE TRIGGER videos_changes_delete AFTER DELETE ON videos BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); END;
-- trigger videos_changes_insert
CREATE TRIGGER videos_changes_insert AFTER INSERT ON videos WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); END;
-- trigger videos_changes_update
CREATE TRIGGER videos_changes_update AFTER UPDATE OF name, description, type, status, archived, duration, created, updated, thumbnail_url, folder_hashed_id, plays, deleted_at, visibility, width, height, protected ON videos WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) AND (OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status OR OLD.archived IS NOT NEW.archived OR OLD.duration IS NOT NEW.duration OR OLD.created IS NOT NEW.created OR OLD.updated IS NOT NEW.updated OR OLD.thumbnail_url IS NOT NEW.thumbnail_url OR OLD.folder_hashed_id IS NOT NEW.folder_hashed_id OR OLD.plays IS NOT NEW.plays OR OLD.deleted_at IS NOT NEW.deleted_at OR OLD.visibility IS NOT NEW.visibility OR OLD.width IS NOT NEW.width OR OLD.height IS NOT NEW.height OR OLD.protected IS NOT NEW.protected) BEGIN INSERT INTO publish_changes (kind, key) VALUES ('video', OLD.hashed_id); INSERT INTO publish_changes (kind, key) VALUES ('video', NEW.hashed_id); END;
-- trigger videos_content_delete
CREATE TRIGGER videos_content_delete AFTER DELETE ON videos BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger videos_content_insert
CREATE TRIGGER videos_content_insert AFTER INSERT ON videos WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- trigger videos_content_update
CREATE TRIGGER videos_content_update AFTER UPDATE OF name, description, type, status, archived, duration, created, updated, thumbnail_url, folder_hashed_id, plays, deleted_at, visibility, width, height, protected ON videos WHEN NOT EXISTS (SELECT 1 FROM change_tracking_paused) AND (OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description OR OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status OR OLD.archived IS NOT NEW.archived OR OLD.duration IS NOT NEW.duration OR OLD.created IS NOT NEW.created OR OLD.updated IS NOT NEW.updated OR OLD.thumbnail_url IS NOT NEW.thumbnail_url OR OLD.folder_hashed_id IS NOT NEW.folder_hashed_id OR OLD.plays IS NOT NEW.plays OR OLD.deleted_at IS NOT NEW.deleted_at OR OLD.visibility IS NOT NEW.visibility OR OLD.width IS NOT NEW.width OR OLD.height IS NOT NEW.height OR OLD.protected IS NOT NEW.protected) BEGIN UPDATE sync_state SET value = value + 1 WHERE key = 'content_version'; END;
-- migration wistia_sync.m001_initial
-- migration wistia_sync.m002_content_version
-- migration wistia_sync.m003_rejected_media
-- migration wistia_sync.m004_publish_v2
-- migration wistia_sync.m005_delivery
-- migration wistia_sync.m006_webhook_inbox
-- migration wistia_sync.m007_media_dimensions
-- migration wistia_sync.m008_protected_media
-- migration wistia_sync.m009_media_failures
-- migration wistia_sync.m010_webhook_retry
-- migration wistia_sync.m011_delivery_intents
-- migration wistia_sync.m012_site_delivery
-- migration wistia_sync.m013_page_change_tracking
-- migration wistia_sync.m014_update_triggers_of_published_columns
-- migration wistia_sync.m015_captions
-- migration wistia_sync.m016_search_index
-- migration wistia_sync.m017_video_slugs
-- migration wistia_sync.m018_publish_state_by_bucket
-- migration wistia_sync.m019_file_list_ranges
-- migration wistia_sync.m021_file_list_tree
-- migration wistia_sync.m023_search_shard_starts
-- migration wistia_sync.m025_publish_bucket_pages
-- migration wistia_sync.m027_file_list_keys
-- state content_version = 0
-- state publish_full_rebuild = 1
