import ControllerCore
import Foundation

extension NovaNotifierConfiguration {
    /// The `[nova]` section as the notifier machine's settings; the rest keep nova.md's defaults.
    public init(_ nova: ControllerConfiguration.Nova) {
        self.init(enabled: nova.sendPowerNotifications, batchWindow: nova.batchWindow, maxBatchDelay: nova.batchMaxDelay,
                  requestTimeout: nova.timeout)
    }
}

extension NovaAuth {
    /// The `[nova]` auth options, or nil when `auth_type` is unset (no notifier runs). The loader has already
    /// checked that each auth type's options are present; only the URLs are checked here.
    public init?(_ nova: ControllerConfiguration.Nova) throws(NovaAuthError) {
        guard let type = nova.authType else { return nil }
        let override = try nova.endpointOverride.map { text throws(NovaAuthError) in try Self.url(text, "endpoint_override") }
        let credential: KeystoneSettings.Credential
        switch type {
        case .none:
            guard let override else { throw NovaAuthError("[nova] auth_type = none needs endpoint_override") }
            self = .noauth(endpoint: override)
            return
        case .password:
            credential = .password(username: nova.username ?? "", password: nova.password ?? "",
                                   userDomain: nova.userDomainName, project: nova.projectName ?? "",
                                   projectDomain: nova.projectDomainName)
        case .v3applicationcredential:
            credential = .applicationCredential(id: nova.applicationCredentialID ?? "", secret: nova.applicationCredentialSecret ?? "")
        }
        self = .keystone(KeystoneSettings(authURL: try Self.url(nova.authURL ?? "", "auth_url"), credential: credential,
                                          region: nova.regionName, interfaces: nova.validInterfaces,
                                          endpointOverride: override))
    }

    private static func url(_ text: String, _ option: String) throws(NovaAuthError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw NovaAuthError("[nova] \(option) '\(text)' is not an http(s) URL")
        }
        return url
    }
}
