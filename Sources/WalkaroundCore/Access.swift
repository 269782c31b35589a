/// Who may do what: the role × resource × action table, as data, and the one function every way
/// in (the JSON API now; the web app and webhooks to come) asks. Default deny: a cell not in the
/// table is `deny`. docs/architecture.md shows the same table; a test walks every cell.
public enum Access {
    public enum Action: String, Sendable, CaseIterable {
        case read
        case create
        case change
        case erase
        case manage
    }

    /// What is acted on. Station-owned resources carry the owning station when checked.
    public enum Resource: String, Sendable, CaseIterable {
        /// An inspection and its state (complete).
        case inspection
        /// A photo of an inspection: upload, original, thumbnail, annotated image.
        case photo
        /// The report of an inspection.
        case report
        /// A vehicle's record (plate, VIN) and its inspection history.
        case vehicle
        /// A hold on an inspection's evidence (a dispute, a review), which keeps erasure and retention off it.
        case hold
        /// API keys.
        case keys
        /// Webhook subscriptions and their delivery logs (they see every station's events).
        case webhooks
        /// The fleet's repair cost matrix (prices of every station's charges).
        case costs
    }

    /// A cell of the table.
    public enum Rule: String, Sendable {
        case allow
        /// Allowed when the resource belongs to the key's own station.
        case ownStation = "own station"
        case deny
    }

    /// The table. Stations create and read their own evidence but never erase it; reviewers read
    /// everything and change nothing but holds and reports (their review); admins do everything, including keys and erasure.
    public static func rule(_ role: Role, _ action: Action, _ resource: Resource) -> Rule {
        switch (role, action, resource) {
        case (.admin, _, _): .allow
        case (.reviewer, .read, .inspection), (.reviewer, .read, .photo), (.reviewer, .read, .report), (.reviewer, .read, .vehicle): .allow
        // Reviewers see the prices their decisions charge; only admins set them.
        case (.reviewer, .read, .costs): .allow
        // Reviewers place and release holds while a charge is disputed, and review reports
        // (decide and correct damages, move a report to reviewed and final).
        case (.reviewer, .change, .hold), (.reviewer, .change, .report): .allow
        case (.station, .read, .inspection), (.station, .create, .inspection), (.station, .change, .inspection): .ownStation
        case (.station, .read, .photo), (.station, .create, .photo): .ownStation
        case (.station, .read, .report): .ownStation
        // The vehicle's history a station sees is its own inspections of it; the record's VIN only
        // when one of them declared it.
        case (.station, .read, .vehicle): .ownStation
        default: .deny
        }
    }

    /// Whether `key` may replace or release an existing hold: an admin always, otherwise only the
    /// role that placed it (a reviewer cannot lift a hold legal placed as an admin). Asked after
    /// `allows(key, .change, .hold)`.
    public static func mayChange(_ hold: Inspection.Hold, by key: APIKey) -> Bool {
        key.role == .admin || hold.placedBy == nil || hold.placedBy == key.role
    }

    /// Whether `key` may do `action` on `resource` belonging to `station` (nil for resources no station owns).
    public static func allows(_ key: APIKey, _ action: Action, _ resource: Resource, station: String? = nil) -> Bool {
        switch rule(key.role, action, resource) {
        case .allow: true
        case .ownStation: station != nil && key.station == station
        case .deny: false
        }
    }
}
