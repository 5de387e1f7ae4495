import ArgumentParser
import Foundation

/// Where a password comes from: a flag, a file, or an environment variable. Never printed.
struct PasswordSource {
    var literal: String?
    var file: String?
    var environmentVariable: String

    func resolve() throws -> String {
        if let literal { return literal }
        if let file {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read the password file \(file)")
            }
            return text.trimmingCharacters(in: .newlines)
        }
        if let value = ProcessInfo.processInfo.environment[environmentVariable] { return value }
        throw ValidationError("no password: give --password, --password-file or set \(environmentVariable)")
    }
}
