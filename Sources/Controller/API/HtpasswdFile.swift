import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// An htpasswd file of bcrypt hashes (`htpasswd -B`), read again whenever it changes, as Ironic reads it per request.
/// Checks that passed are remembered (keyed by a SHA-256 of user, password and hash, never the password itself), so
/// a client does not pay a bcrypt round on every call; a changed file drops them.
public actor HtpasswdFile {
    public let path: String
    private var hashes: [String: String] = [:]
    private var loadedModification: Date?
    private var passed: Set<Data> = []
    private static let rememberedLimit = 256

    /// Reads the file once now, so a missing or unreadable file stops `ferrum serve` at start.
    public init(path: String) throws {
        self.path = path
        let (hashes, modified) = try Self.read(path)
        self.hashes = hashes
        self.loadedModification = modified
    }

    func verify(user: String, password: String) async -> Bool {
        reloadIfChanged()
        guard let hash = hashes[user] else { return false }
        let key = Data(SHA256.hash(data: Data("\(user)\u{0}\(password)\u{0}\(hash)".utf8)))
        if passed.contains(key) { return true }
        // bcrypt's `$2y$` (Apache) is the same algorithm as `$2b$`.
        let normalised = hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
        let ok = (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: normalised) }) ?? false
        if ok {
            if passed.count >= Self.rememberedLimit { passed.removeAll() }
            passed.insert(key)
        }
        return ok
    }

    private func reloadIfChanged() {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        guard modified != loadedModification, let (fresh, date) = try? Self.read(path) else { return }
        hashes = fresh
        loadedModification = date
        passed.removeAll()
    }

    static func read(_ path: String) throws -> ([String: String], Date?) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw HtpasswdError(message: "cannot read the htpasswd file \(path): \(error.localizedDescription)")
        }
        var hashes: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw HtpasswdError(message: "\(path):\(number + 1): expected user:hash")
            }
            let hash = String(trimmed[trimmed.index(after: colon)...])
            guard hash.hasPrefix("$2y$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2a$") else {
                throw HtpasswdError(message: "\(path):\(number + 1): only bcrypt hashes are accepted (htpasswd -B)")
            }
            hashes[String(trimmed[..<colon])] = hash
        }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        return (hashes, modified)
    }
}

public struct HtpasswdError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
