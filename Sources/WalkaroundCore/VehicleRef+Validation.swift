extension VehicleRef {
    /// A plate as letters and digits only, upper-cased: "b-ab 1234" and "BAB1234" are one plate.
    public static func normalisedPlate(_ plate: String) -> String {
        String(plate.uppercased().unicodeScalars.filter { CharacterSetASCII.alphanumerics($0) }.map(Character.init))
    }

    /// Whether `vin` is 17 characters of the VIN alphabet (digits and letters except I, O and Q).
    public static func isValidVIN(_ vin: String) -> Bool {
        vin.count == 17 && vin.unicodeScalars.allSatisfy { CharacterSetASCII.alphanumerics($0) && !"IOQ".unicodeScalars.contains($0) && !CharacterSetASCII.lowercase($0) }
    }
}

/// ASCII-only character tests: plates and VINs are ASCII, and Unicode letters must not slip in.
enum CharacterSetASCII {
    static func alphanumerics(_ scalar: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || lowercase(scalar)
    }

    static func lowercase(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) }
}
