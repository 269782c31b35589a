import Foundation

/// What the plate reader made of one plate seen on one photo.
public struct PlateReading: Sendable, Equatable, Codable {
    public var id: UUID
    public var photoID: UUID
    /// Where the detector found the plate, in upright photo pixels.
    public var box: Box
    /// The OCR text as read, before the grammar.
    public var text: String
    /// Letters and digits only, after the grammar's fixes: the key plates are compared by.
    public var plate: String
    /// As the country prints it ("M-AB 1234"); the normalised text when no format fits.
    public var formatted: String
    /// The country guess (ISO 3166-1 alpha-2), nil when no European format fits.
    public var country: String?
    /// 0…1: OCR confidence lowered for corrections, layout doubts and shared country guesses.
    public var confidence: Double
    public var createdAt: Date

    public init(
        id: UUID = UUID(), photoID: UUID, box: Box, text: String, plate: String, formatted: String, country: String?,
        confidence: Double, createdAt: Date
    ) {
        self.id = id
        self.photoID = photoID
        self.box = box
        self.text = text
        self.plate = plate
        self.formatted = formatted
        self.country = country
        self.confidence = confidence
        self.createdAt = createdAt
    }
}

/// The plate an inspection's photos agree on, and how it compares with the declared plate.
public struct PlateVerdict: Sendable, Equatable, Codable {
    /// The voted plate (normalised), nil when nothing readable was seen.
    public var plate: String?
    public var formatted: String?
    public var country: String?
    /// 0…1: how sure the vote is (support of the agreeing readings times their share of all).
    public var confidence: Double
    /// Readings that voted, and how many of them agree with the result.
    public var readings: Int
    public var agreeing: Int
    public var check: PlateCheck

    public init(
        plate: String? = nil, formatted: String? = nil, country: String? = nil, confidence: Double = 0, readings: Int = 0,
        agreeing: Int = 0, check: PlateCheck = .unread
    ) {
        self.plate = plate
        self.formatted = formatted
        self.country = country
        self.confidence = confidence
        self.readings = readings
        self.agreeing = agreeing
        self.check = check
    }

    /// Whether the inspection must be flagged: the photos show another car than the one declared.
    public var mismatch: Bool { check == .mismatch }
}

/// The declared plate against the photos.
public enum PlateCheck: String, Sendable, Codable, CaseIterable {
    /// No plate read on any photo (yet).
    case unread
    /// The voted plate is the declared one.
    case match
    /// The photos agree, with enough confidence, on another plate than the declared one.
    case mismatch
    /// A plate was read but the vote is too unsure to confirm or contradict the declared plate.
    case uncertain
    /// A plate was read; the station declared none (a VIN only), so there is nothing to compare.
    case undeclared
}

/// Combines the readings from all photos of an inspection into one plate.
///
/// Readings are grouped by normalised plate; each group scores the sum of its confidences. The
/// winner's confidence is its support (the chance that at least one of its readings is right,
/// 1 − Π(1 − cᵢ)) times its share of the total score, so two photos that agree beat one that is
/// sure, and a disagreeing photo lowers the result. Readings no European format fits vote at half
/// weight (a foreign plate still counts, an OCR fragment counts less).
///
/// The declared plate is never overwritten: the verdict says whether the photos confirm it
/// (`match`), contradict it with at least `mismatchConfidence` (`mismatch`, which flags the
/// inspection), or cannot tell (`uncertain`).
public enum PlateVote {
    public static let mismatchConfidence = 0.5

    public static func vote(_ readings: [PlateReading], declared: String?, mismatchConfidence: Double = mismatchConfidence) -> PlateVerdict {
        let usable = readings.filter { !$0.plate.isEmpty && $0.confidence > 0 }
        guard !usable.isEmpty else { return PlateVerdict(check: .unread) }
        func weight(_ reading: PlateReading) -> Double { reading.confidence * (reading.country == nil ? 0.5 : 1) }
        let groups = Dictionary(grouping: usable, by: \.plate)
        let total = usable.map(weight).reduce(0, +)
        var ranked: [(plate: String, members: [PlateReading], score: Double)] = []
        for (plate, members) in groups {
            let score: Double = members.map(weight).reduce(0, +)
            ranked.append((plate, members, score))
        }
        ranked.sort { $0.score != $1.score ? $0.score > $1.score : $0.plate < $1.plate }
        let (plate, members, score) = ranked[0]
        var missAll = 1.0
        for member in members { missAll *= 1 - min(1, weight(member)) }
        let support = 1 - missAll
        let confidence: Double = total > 0 ? support * score / total : 0
        // The most confident member speaks for the group's layout and country.
        let best = members.max { $0.confidence < $1.confidence }!
        let check: PlateCheck
        if let declared, !VehicleRef.normalisedPlate(declared).isEmpty {
            if VehicleRef.normalisedPlate(declared) == plate {
                check = .match
            } else {
                check = confidence >= mismatchConfidence ? .mismatch : .uncertain
            }
        } else {
            check = .undeclared
        }
        return PlateVerdict(
            plate: plate, formatted: best.formatted, country: best.country, confidence: confidence, readings: usable.count,
            agreeing: members.count, check: check
        )
    }
}
