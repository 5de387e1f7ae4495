import IPMI

/// A problem with a value, not yet placed in a file; the reader adds the line and column.
struct Problem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The rules every fleet value obeys, and the text forms of values that YAML has no exact type for (durations,
/// GUIDs, addresses). Shared by the reader, the writer and `FleetConfiguration.generated`.
enum Rules {
    static let knownCipherSuites: [UInt8] = [0, 3, 17]
    /// Names appear in management URLs and on command lines, so they stay short and plain.
    static let maxNameLength = 64
    /// IPMI limits: user names are 16 bytes in RAKP1, passwords 20 bytes (the RAKP key material).
    static let maxUserNameBytes = 16
    static let maxPasswordBytes = 20
    /// Longer than any sensible simulated delay; bounding it keeps every later time computation far from overflow.
    static let maxMilliseconds: Int64 = 86_400_000
    static let maxRangeCount = 65_535
    /// Range names are prefix + index; nine digits keep the index an ordinary Int everywhere.
    static let maxRangeIndex = 999_999_999

    // MARK: Names and users

    static func checkName(_ name: String) throws(Problem) {
        guard !name.isEmpty else { throw Problem("a BMC name must not be empty") }
        guard name.utf8.count <= maxNameLength else {
            throw Problem("BMC name '\(name)' is longer than \(maxNameLength) characters")
        }
        let bytes = Array(name.utf8)
        guard bytes.allSatisfy({ isNameByte($0) }), isAlphanumeric(bytes[0]) else {
            throw Problem("BMC name '\(name)' may only contain letters, digits, '.', '_' and '-', and must start with "
                + "a letter or digit (names appear in URLs and on command lines)")
        }
    }

    static func checkUserName(_ name: String) throws(Problem) {
        guard name.utf8.count <= maxUserNameBytes else {
            throw Problem("user name '\(name)' is \(name.utf8.count) bytes; IPMI allows at most \(maxUserNameBytes)")
        }
        guard !name.utf8.contains(0) else { throw Problem("a user name must not contain NUL (IPMI pads names with zeros)") }
        guard !name.unicodeScalars.contains(byteOrderMark) else { throw Problem("a user name must not contain U+FEFF") }
    }

    static func checkPassword(_ password: String) throws(Problem) {
        // Never echo the password itself: error messages end up in logs.
        guard password.utf8.count <= maxPasswordBytes else {
            throw Problem("password is \(password.utf8.count) bytes; IPMI allows at most \(maxPasswordBytes)")
        }
        guard !password.utf8.contains(0) else {
            throw Problem("a password must not contain NUL (IPMI pads keys with zeros)")
        }
        guard !password.unicodeScalars.contains(byteOrderMark) else { throw Problem("a password must not contain U+FEFF") }
    }

    /// YAML readers drop a byte order mark at the start of a scalar, so such a value could not be read back.
    static let byteOrderMark: Unicode.Scalar = "\u{FEFF}"

    /// For values built in code; the reader checks each user where it stands in the file.
    static func checkUsers(_ users: [UserSpec]) throws(Problem) {
        guard !users.isEmpty else { throw Problem("a BMC needs at least one user") }
        var seen: Set<String> = []
        for user in users {
            try checkUserName(user.name)
            try checkPassword(user.password)
            guard seen.insert(user.name).inserted else { throw Problem("user '\(user.name)' is listed twice") }
        }
    }

    static func privilege(_ text: String) throws(Problem) -> PrivilegeLevel {
        guard let level = PrivilegeLevel(name: text) else {
            throw Problem("unknown privilege '\(text)' (use callback, user, operator, administrator or oem)")
        }
        return level
    }

    static func privilegeText(_ level: PrivilegeLevel) -> String {
        level == .none ? "none" : level.description.lowercased()
    }

    static func checkCipherSuite(_ suite: Int) throws(Problem) -> UInt8 {
        guard let known = knownCipherSuites.first(where: { Int($0) == suite }) else {
            throw Problem("unknown cipher suite \(suite) (a virtual BMC offers 0, 3 and 17)")
        }
        return known
    }

    // MARK: Endpoints

    static func checkPort(_ port: Int) throws(Problem) {
        guard (1...65535).contains(port) else { throw Problem("port \(port) is out of range 1...65535") }
    }

    static func checkPortRun(basePort: Int, count: Int) throws(Problem) {
        let last = basePort + count - 1
        guard last <= 65535 else {
            throw Problem("\(count) BMCs from port \(basePort) would need ports up to \(last), past 65535")
        }
    }

    /// Virtual BMCs are test doubles: binding anything but loopback would expose them (and their passwords).
    static func checkLoopback(_ address: String) throws(Problem) {
        if address == "::1" { return }
        guard let value = ipv4(address) else {
            throw Problem("'\(address)' is not an IP address in canonical form (write 127.0.0.1, 127.0.1.5 or ::1)")
        }
        guard value >> 24 == 127 else {
            throw Problem("address \(address) is not loopback; a virtual BMC binds to loopback only "
                + "(127.0.0.0/8 or ::1)")
        }
    }

    /// Canonical dotted decimal only (no leading zeros), so equal addresses are equal strings and endpoints compare.
    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.utf8.allSatisfy(isDigit),
                  part.count == 1 || part.first != "0", let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func ipv4Text(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String(value >> UInt32($0) & 0xFF) }.joined(separator: ".")
    }

    static func endpointText(address: String, port: Int) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    // MARK: Values without a YAML type

    /// 32 hex digits in wire order (the first pair is byte 0), optionally dashed like a UUID.
    static func guid(_ text: String) throws(Problem) -> [UInt8] {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        let hex = groups.count == 5 && groups.map(\.count) == [8, 4, 4, 4, 12] ? groups.joined() : text
        let digits = hex.utf8.compactMap(hexValue)
        guard hex.utf8.count == 32, digits.count == 32 else {
            throw Problem("guid must be 32 hex digits (dashes allowed as 8-4-4-4-12), got '\(text)'")
        }
        return stride(from: 0, to: 32, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func guidText(_ guid: [UInt8]) -> String {
        guid.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    static func probability(_ text: String) throws(Problem) -> Double {
        guard let value = Double(text), value.isFinite else {
            throw Problem("expected a probability between 0 and 1, got '\(text)'")
        }
        guard (0...1).contains(value) else { throw Problem("\(text) is outside 0...1") }
        return value
    }

    /// Milliseconds as written: digits with an optional fraction, read exactly (no binary floating point), so any
    /// duration the writer prints reads back equal.
    static func milliseconds(_ text: String) throws(Problem) -> Duration {
        let negative = text.hasPrefix("-")
        let body = negative ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.utf8.allSatisfy(isDigit),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].utf8.allSatisfy(isDigit)) else {
            throw Problem("expected milliseconds such as 250 or 0.5, got '\(text)'")
        }
        guard !negative else { throw Problem("\(text) ms is negative") }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 15 else { throw Problem("\(text) ms is finer than attoseconds") }
        let tooLong = Problem("\(text) ms is longer than one day (\(maxMilliseconds) ms)")
        let significant = whole.drop { $0 == "0" }
        guard significant.count <= 9, let milliseconds = Int64(significant.isEmpty ? "0" : String(significant)) else {
            throw tooLong
        }
        let attoFraction = Int64(fraction + String(repeating: "0", count: 15 - fraction.count))!
        guard milliseconds < maxMilliseconds || (milliseconds == maxMilliseconds && attoFraction == 0) else { throw tooLong }
        return Duration(secondsComponent: milliseconds / 1000,
                        attosecondsComponent: milliseconds % 1000 * 1_000_000_000_000_000 + attoFraction)
    }

    static func millisecondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let total = Int128(seconds) * 1_000_000_000_000_000_000 + Int128(attoseconds)
        let perMillisecond: UInt128 = 1_000_000_000_000_000
        let whole = String(total.magnitude / perMillisecond)
        let remainder = total.magnitude % perMillisecond
        var text = total < 0 ? "-" + whole : whole
        if remainder != 0 {
            let digits = String(remainder)
            let padded = String(repeating: "0", count: 15 - digits.count) + digits
            text += "." + padded.reversed().drop { $0 == "0" }.reversed()
        }
        return text
    }

    // MARK: Bytes

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
    static func isNameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
