import Foundation

/// One walk-around of a vehicle at a station: a check-out when the car leaves, a return when it comes back.
public struct Inspection: Sendable, Equatable, Codable {
    public var id: UUID
    public var kind: Kind
    public var station: String
    public var vehicle: VehicleRef
    /// Free text the station uses to find the inspection again (a rental agreement number, say).
    public var reference: String?
    public var status: Status
    public var createdAt: Date
    public var completedAt: Date?
    /// The vehicle record the declared plate and VIN lead to (nil before it is linked).
    public var vehicleID: UUID?
    /// The plate the photos agree on and how it compares with the declared plate.
    public var plateVerdict: PlateVerdict
    /// Set while the inspection's evidence must be kept (a dispute, a review): neither erasure nor
    /// retention removes it until the hold is released.
    public var hold: Hold?

    public init(
        id: UUID = UUID(),
        kind: Kind,
        station: String,
        vehicle: VehicleRef,
        reference: String? = nil,
        status: Status = .open,
        createdAt: Date,
        completedAt: Date? = nil,
        vehicleID: UUID? = nil,
        plateVerdict: PlateVerdict = PlateVerdict(),
        hold: Hold? = nil
    ) {
        self.hold = hold
        self.vehicleID = vehicleID
        self.plateVerdict = plateVerdict
        self.id = id
        self.kind = kind
        self.station = station
        self.vehicle = vehicle
        self.reference = reference
        self.status = status
        self.createdAt = createdAt
        self.completedAt = completedAt
    }

    /// Whether the car is leaving (check-out) or coming back (return).
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case checkout
        case `return`
    }

    /// Why and since when the evidence is kept.
    public struct Hold: Sendable, Equatable, Codable {
        public var reason: String
        public var since: Date
        /// The role of the key that placed it (nil for holds placed before roles were recorded):
        /// `Access.mayChange(_:by:)` lets only that role or an admin change or release it.
        public var placedBy: Role?

        public init(reason: String, since: Date, placedBy: Role? = nil) {
            self.reason = reason
            self.since = since
            self.placedBy = placedBy
        }
    }

    /// `open` accepts photos; `completed` is closed to new photos.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case open
        case completed
    }
}

/// The vehicle as declared by the station; the plate reader checks it later.
public struct VehicleRef: Sendable, Equatable, Codable {
    public var plate: String?
    public var vin: String?

    public init(plate: String? = nil, vin: String? = nil) {
        self.plate = plate
        self.vin = vin
    }
}

/// A car, known by its plate and, once a station gives it, its VIN. Inspections of the same car
/// link to one vehicle, so its history (and its last check-out) is one query.
public struct Vehicle: Sendable, Equatable, Codable {
    public var id: UUID
    /// Normalised (letters and digits, upper case), as declared by stations.
    public var plate: String?
    public var vin: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID = UUID(), plate: String?, vin: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.plate = plate
        self.vin = vin
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
