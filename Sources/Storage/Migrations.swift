import Foundation

/// The schema, as numbered migrations applied in order and recorded in `schema_migrations`.
///
/// One text serves both databases: `{uuid}` becomes `UUID` or `TEXT`, `{time}` becomes
/// `TIMESTAMPTZ` or `INTEGER` (microseconds since 1970, see `SQLValue`).
public struct Migrations: Sendable {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
        /// SQLite's text where it must differ (SQLite cannot drop a NOT NULL: the table is rebuilt).
        public var sqliteSQL: String? = nil

        func text(for dialect: SQLDialect) -> String {
            dialect == .sqlite ? sqliteSQL ?? sql : sql
        }
    }

    public static let all: [Migration] = [
        Migration(
            version: 1,
            name: "inspections, photos, jobs, api keys, idempotency keys",
            sql: """
                CREATE TABLE inspections (
                    id {uuid} PRIMARY KEY,
                    kind TEXT NOT NULL,
                    station TEXT NOT NULL,
                    plate TEXT,
                    vin TEXT,
                    reference TEXT,
                    status TEXT NOT NULL,
                    created_at {time} NOT NULL,
                    completed_at {time}
                );
                CREATE INDEX inspections_created ON inspections (created_at DESC, id DESC);
                CREATE INDEX inspections_station_created ON inspections (station, created_at DESC, id DESC);
                CREATE INDEX inspections_plate ON inspections (plate);
                CREATE TABLE photos (
                    id {uuid} PRIMARY KEY,
                    inspection_id {uuid} NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
                    view TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    format TEXT NOT NULL,
                    byte_count BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    width INTEGER,
                    height INTEGER,
                    error TEXT,
                    created_at {time} NOT NULL,
                    processed_at {time}
                );
                CREATE INDEX photos_inspection ON photos (inspection_id, created_at);
                CREATE INDEX photos_sha256 ON photos (sha256);
                CREATE TABLE jobs (
                    id {uuid} PRIMARY KEY,
                    kind TEXT NOT NULL,
                    photo_id {uuid} NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    run_at {time} NOT NULL,
                    lease_until {time},
                    worker TEXT,
                    last_error TEXT,
                    created_at {time} NOT NULL,
                    updated_at {time} NOT NULL
                );
                CREATE INDEX jobs_claimable ON jobs (status, run_at);
                CREATE INDEX jobs_photo ON jobs (photo_id);
                CREATE TABLE api_keys (
                    id {uuid} PRIMARY KEY,
                    name TEXT,
                    role TEXT NOT NULL,
                    station TEXT,
                    key_hash TEXT NOT NULL UNIQUE,
                    created_at {time} NOT NULL,
                    revoked_at {time}
                );
                CREATE TABLE idempotency_keys (
                    api_key_id {uuid} NOT NULL,
                    key TEXT NOT NULL,
                    inspection_id {uuid} NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
                    photo_id {uuid} NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
                    fingerprint TEXT NOT NULL,
                    response_status INTEGER NOT NULL,
                    response_body TEXT NOT NULL,
                    created_at {time} NOT NULL,
                    PRIMARY KEY (api_key_id, key)
                );
                """
        ),
        Migration(
            version: 2,
            name: "photo quality and orientation, detections",
            sql: """
                ALTER TABLE photos ADD COLUMN orientation INTEGER;
                ALTER TABLE photos ADD COLUMN quality TEXT;
                ALTER TABLE photos ADD COLUMN phash TEXT;
                CREATE TABLE detections (
                    id {uuid} PRIMARY KEY,
                    photo_id {uuid} NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
                    class_name TEXT NOT NULL,
                    confidence {real} NOT NULL,
                    x1 {real} NOT NULL,
                    y1 {real} NOT NULL,
                    x2 {real} NOT NULL,
                    y2 {real} NOT NULL,
                    status TEXT,
                    created_at {time} NOT NULL
                );
                CREATE INDEX detections_photo ON detections (photo_id);
                """
        ),
        Migration(
            version: 3,
            name: "the model behind each detection",
            sql: """
                ALTER TABLE detections ADD COLUMN model TEXT NOT NULL DEFAULT ''
                """
        ),
        Migration(
            version: 4,
            name: "vehicles, plate readings, the voted plate of each inspection",
            sql: """
                CREATE TABLE vehicles (
                    id {uuid} PRIMARY KEY,
                    plate TEXT,
                    vin TEXT,
                    created_at {time} NOT NULL,
                    updated_at {time} NOT NULL
                );
                CREATE UNIQUE INDEX vehicles_plate ON vehicles (plate);
                CREATE UNIQUE INDEX vehicles_vin ON vehicles (vin);
                ALTER TABLE inspections ADD COLUMN vehicle_id {uuid} REFERENCES vehicles (id);
                ALTER TABLE inspections ADD COLUMN plate_read TEXT;
                ALTER TABLE inspections ADD COLUMN plate_formatted TEXT;
                ALTER TABLE inspections ADD COLUMN plate_country TEXT;
                ALTER TABLE inspections ADD COLUMN plate_confidence {real} NOT NULL DEFAULT 0;
                ALTER TABLE inspections ADD COLUMN plate_readings INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE inspections ADD COLUMN plate_agreeing INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE inspections ADD COLUMN plate_check TEXT NOT NULL DEFAULT 'unread';
                CREATE INDEX inspections_vehicle ON inspections (vehicle_id, created_at DESC, id DESC);
                CREATE TABLE plate_readings (
                    id {uuid} PRIMARY KEY,
                    photo_id {uuid} NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
                    text TEXT NOT NULL,
                    plate TEXT NOT NULL,
                    formatted TEXT NOT NULL,
                    country TEXT,
                    confidence {real} NOT NULL,
                    x1 {real} NOT NULL,
                    y1 {real} NOT NULL,
                    x2 {real} NOT NULL,
                    y2 {real} NOT NULL,
                    created_at {time} NOT NULL
                );
                CREATE INDEX plate_readings_photo ON plate_readings (photo_id)
                """
        ),
        Migration(
            version: 5,
            name: "report jobs, reports",
            sql: """
                ALTER TABLE jobs ALTER COLUMN photo_id DROP NOT NULL;
                ALTER TABLE jobs ADD COLUMN inspection_id {uuid} REFERENCES inspections (id) ON DELETE CASCADE;
                CREATE INDEX jobs_inspection ON jobs (inspection_id);
                \(Migrations.reportsTable)
                """,
            sqliteSQL: """
                CREATE TABLE jobs_v5 (
                    id {uuid} PRIMARY KEY,
                    kind TEXT NOT NULL,
                    photo_id {uuid} REFERENCES photos (id) ON DELETE CASCADE,
                    inspection_id {uuid} REFERENCES inspections (id) ON DELETE CASCADE,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    run_at {time} NOT NULL,
                    lease_until {time},
                    worker TEXT,
                    last_error TEXT,
                    created_at {time} NOT NULL,
                    updated_at {time} NOT NULL
                );
                INSERT INTO jobs_v5 (id, kind, photo_id, status, attempts, max_attempts, run_at, lease_until, worker, last_error, created_at, updated_at)
                    SELECT id, kind, photo_id, status, attempts, max_attempts, run_at, lease_until, worker, last_error, created_at, updated_at FROM jobs;
                DROP TABLE jobs;
                ALTER TABLE jobs_v5 RENAME TO jobs;
                CREATE INDEX jobs_claimable ON jobs (status, run_at);
                CREATE INDEX jobs_photo ON jobs (photo_id);
                CREATE INDEX jobs_inspection ON jobs (inspection_id);
                \(Migrations.reportsTable)
                """
        ),
        Migration(
            version: 6,
            name: "job claims: the claim a transition must hold, and how often a dead worker's job was taken over",
            sql: """
                ALTER TABLE jobs ADD COLUMN claim_id {uuid};
                ALTER TABLE jobs ADD COLUMN reclaims INTEGER NOT NULL DEFAULT 0
                """
        ),
        Migration(
            version: 7,
            name: "holds on inspections, and photo files waiting to be collected",
            sql: """
                ALTER TABLE inspections ADD COLUMN hold_reason TEXT;
                ALTER TABLE inspections ADD COLUMN held_at {time};
                CREATE INDEX reports_compared_with ON reports (compared_with);
                CREATE TABLE blob_garbage (
                    sha256 TEXT PRIMARY KEY,
                    since {time} NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT
                )
                """
        ),
        Migration(
            version: 8,
            name: "the role that placed a hold (only it or an admin releases it)",
            sql: "ALTER TABLE inspections ADD COLUMN held_by_role TEXT"
        ),
        Migration(
            version: 9,
            name: "human review of reports: the review beside the machine's report, its version, and the audit trail",
            sql: """
                ALTER TABLE reports ADD COLUMN review_state TEXT NOT NULL DEFAULT 'draft';
                ALTER TABLE reports ADD COLUMN review_version INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE reports ADD COLUMN review TEXT;
                CREATE TABLE review_audit (
                    id {uuid} PRIMARY KEY,
                    inspection_id {uuid} NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
                    changed_at {time} NOT NULL,
                    action TEXT NOT NULL,
                    key_id {uuid},
                    key_name TEXT,
                    role TEXT NOT NULL,
                    damage TEXT,
                    before_values TEXT NOT NULL,
                    after_values TEXT NOT NULL,
                    note TEXT
                );
                CREATE INDEX review_audit_inspection ON review_audit (inspection_id, changed_at)
                """
        ),
        Migration(
            version: 10,
            name: "evidence: each photo's capture time from its EXIF, and the signed final report",
            sql: """
                ALTER TABLE photos ADD COLUMN captured_at TEXT;
                ALTER TABLE reports ADD COLUMN signed TEXT
                """
        ),
        Migration(
            version: 11,
            name: "webhooks: subscriptions, deliveries, and the delivery jobs",
            sql: """
                CREATE TABLE webhook_subscriptions (
                    id {uuid} PRIMARY KEY,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    station TEXT,
                    secret TEXT NOT NULL,
                    description TEXT,
                    created_at {time} NOT NULL
                );
                CREATE TABLE webhook_deliveries (
                    id {uuid} PRIMARY KEY,
                    subscription_id {uuid} NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
                    inspection_id {uuid} REFERENCES inspections (id) ON DELETE CASCADE,
                    message_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_status_code INTEGER,
                    last_error TEXT,
                    created_at {time} NOT NULL,
                    last_attempt_at {time},
                    delivered_at {time}
                );
                CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at);
                CREATE INDEX webhook_deliveries_inspection ON webhook_deliveries (inspection_id);
                ALTER TABLE jobs ADD COLUMN delivery_id {uuid} REFERENCES webhook_deliveries (id) ON DELETE CASCADE
                """
        ),
        Migration(
            version: 12,
            // No default: a row without a role (written before, or by a pod still running the code
            // before this migration during a rolling update) takes it from its class when read.
            name: "what each detection is (damage, plate, car part), and the repair cost matrices set through the API",
            sql: """
                ALTER TABLE detections ADD COLUMN role TEXT;
                CREATE TABLE cost_matrices (
                    version INTEGER PRIMARY KEY,
                    document TEXT NOT NULL,
                    set_at {time} NOT NULL,
                    key_id {uuid},
                    key_name TEXT
                )
                """
        ),
        Migration(
            version: 13,
            name: "web sessions: a signed-in station or reviewer's browser, its CSRF token, until it expires, signs out or its key is revoked",
            sql: """
                CREATE TABLE web_sessions (
                    token_hash TEXT PRIMARY KEY,
                    api_key_id {uuid} NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at {time} NOT NULL,
                    expires_at {time} NOT NULL,
                    ended_at {time}
                );
                CREATE INDEX web_sessions_key ON web_sessions (api_key_id);
                CREATE INDEX web_sessions_expires ON web_sessions (expires_at)
                """
        ),
        Migration(
            version: 14,
            name: "renter links (signed, expiring, revocable) to a final report, and the renters' disputes",
            sql: """
                CREATE TABLE renter_links (
                    id {uuid} PRIMARY KEY,
                    inspection_id {uuid} NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
                    created_by {uuid},
                    created_at {time} NOT NULL,
                    expires_at {time} NOT NULL,
                    revoked_at {time}
                );
                CREATE INDEX renter_links_inspection ON renter_links (inspection_id);
                CREATE TABLE disputes (
                    id {uuid} PRIMARY KEY,
                    inspection_id {uuid} NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
                    link_id {uuid} REFERENCES renter_links (id) ON DELETE SET NULL,
                    damage TEXT NOT NULL,
                    text TEXT NOT NULL,
                    created_at {time} NOT NULL
                );
                CREATE INDEX disputes_inspection ON disputes (inspection_id, created_at)
                """
        ),
        Migration(
            version: 15,
            // Reports written before this migration have none (NULL) until written again: the desk's
            // "new damage" filter counts them as without.
            name: "each written report's count of new damages, for the review desk's filter",
            sql: "ALTER TABLE reports ADD COLUMN new_damages INTEGER"
        ),
        Migration(
            version: 16,
            // W3C trace context of the request that queued the job (`traceparent`, `tracestate`
            // joined by a newline; NULL when it was not traced), so the worker's spans continue
            // the upload's trace.
            name: "jobs carry the trace context of the request that queued them",
            sql: "ALTER TABLE jobs ADD COLUMN trace_context TEXT"
        ),
    ]

    /// One report per completed inspection: `queued` until the report job has written it.
    static let reportsTable = """
        CREATE TABLE reports (
            inspection_id {uuid} PRIMARY KEY REFERENCES inspections (id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            compared_with {uuid},
            provider TEXT,
            data TEXT,
            prose TEXT,
            requested_at {time} NOT NULL,
            written_at {time}
        )
        """

    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// The SQL of a migration for this database.
    static func render(_ sql: String, for dialect: SQLDialect) -> String {
        switch dialect {
        case .postgres:
            sql.replacingOccurrences(of: "{uuid}", with: "UUID").replacingOccurrences(of: "{time}", with: "TIMESTAMPTZ")
                .replacingOccurrences(of: "{real}", with: "DOUBLE PRECISION")
        case .sqlite:
            sql.replacingOccurrences(of: "{uuid}", with: "TEXT").replacingOccurrences(of: "{time}", with: "INTEGER")
                .replacingOccurrences(of: "{real}", with: "REAL")
        }
    }

    /// Applies every migration not yet recorded, each in its own transaction; returns the versions applied.
    /// Several processes may call this at once: PostgreSQL serialises them with an advisory lock,
    /// SQLite with its write lock.
    @discardableResult
    public func apply() async throws -> [Int] {
        try await database.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
            """
        )
        var applied: [Int] = []
        for migration in Self.all {
            let ran = try await database.transaction { db in
                if db.dialect == .postgres {
                    try await db.execute("SELECT pg_advisory_xact_lock(\(Int64(0x5741_4C4B)))")
                }
                if try await db.first("SELECT version FROM schema_migrations WHERE version = \(migration.version)") != nil {
                    return false
                }
                for statement in Self.render(migration.text(for: db.dialect), for: db.dialect).split(separator: ";") {
                    let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !text.isEmpty { try await db.execute(SQLStatement(stringLiteral: text)) }
                }
                let now = ISO8601DateFormatter().string(from: Date())
                try await db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(now))"
                )
                return true
            }
            if ran { applied.append(migration.version) }
        }
        return applied
    }

    /// Versions the code knows but the database has not applied (empty when up to date).
    public func pending() async throws -> [Int] {
        let rows: [SQLRow]
        do {
            rows = try await database.execute("SELECT version FROM schema_migrations")
        } catch {
            return Self.all.map(\.version)
        }
        let done = Set(try rows.map { try $0.int("version") })
        return Self.all.map(\.version).filter { !done.contains($0) }
    }
}
