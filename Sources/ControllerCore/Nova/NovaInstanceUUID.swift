/// Nova's schema rejects a `server_uuid` that is not uuid-like with a 400 for the WHOLE request (nova.md §1.2), so
/// one bad instance uuid would sink its batch; such events are dropped before they are batched.
enum NovaInstanceUUID {
    /// The canonical 8-4-4-4-12 hex form, either case (Nova's DB lookup uses the raw string; Ironic stores this form).
    static func isValid(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): continue
                default: return false
                }
            }
        }
        return true
    }
}
