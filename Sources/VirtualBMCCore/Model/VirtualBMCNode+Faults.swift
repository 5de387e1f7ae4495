import IPMI

extension VirtualBMCNode {
    /// Makes the session layer and the flapping clock follow a change of faults (the rest act per datagram).
    mutating func apply(_ faults: FaultSpec, replacing old: FaultSpec, now: Duration) {
        if faults.flappingPeriod != old.flappingPeriod {
            nextFlip = faults.flappingPeriod.flatMap { $0 > .zero ? now + $0 : nil }
        }
        // An empty table is a full one: Open Session answers RMCP+ status 01 (insufficient resources).
        machine.configuration.maximumSessions = faults.sessionTableFull ? 0 : Self.sessionTableSize
        if faults.credentialsRotated != old.credentialsRotated {
            machine.configuration.users = faults.credentialsRotated ? rotatedUsers() : Self.users(spec.users)
        }
    }

    /// The same accounts with passwords nobody knows: RAKP2's AuthCode then fails to verify under the old password,
    /// exactly as with a wrong password. Drawn from the node's seed, so runs still repeat.
    private mutating func rotatedUsers() -> [BMCUser] {
        spec.users.map { user in
            let secret = chance.bytes(8).map { String(UInt16($0) | 0x100, radix: 16).dropFirst() }.joined()
            return BMCUser(name: user.name, password: "rotated-" + secret, maximumPrivilege: user.privilege)
        }
    }
}
