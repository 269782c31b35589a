import Testing
import WalkaroundCore

/// Every cell of the role × resource × action table, against the table as docs/architecture.md
/// writes it (typed out again here, so a change to either shows).
@Suite("Access table")
struct AccessTableTests {
    /// role → resource → actions with their rule; anything not listed is deny.
    static let documented: [Role: [Access.Resource: [Access.Action: Access.Rule]]] = [
        .station: [
            .inspection: [.read: .ownStation, .create: .ownStation, .change: .ownStation],
            .photo: [.read: .ownStation, .create: .ownStation],
            .report: [.read: .ownStation],
            .vehicle: [.read: .ownStation],
        ],
        .reviewer: [
            .inspection: [.read: .allow], .photo: [.read: .allow], .report: [.read: .allow, .change: .allow], .vehicle: [.read: .allow], .hold: [.change: .allow],
            .costs: [.read: .allow],
        ],
        .admin: Dictionary(uniqueKeysWithValues: Access.Resource.allCases.map { resource in
            (resource, Dictionary(uniqueKeysWithValues: Access.Action.allCases.map { ($0, Access.Rule.allow) }))
        }),
    ]

    static let cells: [(Role, Access.Resource, Access.Action)] = Role.allCases.flatMap { role in
        Access.Resource.allCases.flatMap { resource in Access.Action.allCases.map { (role, resource, $0) } }
    }

    @Test(arguments: cells)
    func everyCellIsAsDocumented(_ role: Role, _ resource: Access.Resource, _ action: Access.Action) {
        let expected = Self.documented[role]?[resource]?[action] ?? .deny
        #expect(Access.rule(role, action, resource) == expected)
        let key = APIKey(role: role, station: role == .station ? "MUC-01" : nil, createdAt: .now)
        let own = Access.allows(key, action, resource, station: "MUC-01")
        let other = Access.allows(key, action, resource, station: "BER-02")
        switch expected {
        case .allow: #expect(own && other)
        case .ownStation: #expect(own && !other)
        case .deny: #expect(!own && !other)
        }
        #expect(Access.allows(key, action, resource, station: nil) == (expected == .allow), "unowned resources need allow")
    }

    @Test func aStationKeyWithoutAStationGetsNothingOwned() {
        let broken = APIKey(role: .station, station: nil, createdAt: .now)
        #expect(!Access.allows(broken, .read, .inspection, station: "MUC-01"))
        #expect(!Access.allows(broken, .read, .inspection, station: nil))
    }
}
