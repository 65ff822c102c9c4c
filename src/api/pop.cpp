// The Pop family's exports: argument checks, a handle lease and one session
// call each, inside the exception barrier.
#include "api/barrier.hpp"
#include "api/credentials.hpp"
#include "core/library.hpp"
#include "pop/session.hpp"

#include <inetkit/pop.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace inetkit::api {
namespace {

constexpr DWORD pop_options = POP_OPTION_LINEBREAK | POP_OPTION_TUNNEL | POP_OPTION_TRUSTEDSITE |
                              POP_OPTION_SECURE_EXPLICIT | POP_OPTION_SECURE_IMPLICIT | POP_OPTION_PREFER_IPV6 |
                              POP_OPTION_FREETHREAD | POP_OPTION_SECURE_FALLBACK;

struct PopObject final : HandleObject {
    PopObject(std::unique_ptr<pop::Session> engine, bool freethread)
        : HandleObject(HandleKind::PopClient, freethread), session(std::move(engine)) {}
    ~PopObject() override {
        if (trace_file) std::fclose(trace_file);
    }
    void cancel_call() noexcept override { session->connection().cancel(); }
    void abort() noexcept override { session->connection().abort(); }
    void begin_call() noexcept override { session->connection().begin_call(); }

    // Routes the session's trace to the callback and the file, whichever are set.
    void update_trace() {
        if (!trace_proc && !trace_file) {
            session->trace = nullptr;
            return;
        }
        session->trace = [this](unsigned direction, const std::string &line) {
            if (trace_proc) trace_proc(handle(), direction, line.c_str(), trace_param);
            if (trace_file) {
                std::fprintf(trace_file, "%s %s\n", direction == POP_TRACE_COMMAND ? "C:" : "S:", line.c_str());
                std::fflush(trace_file);
            }
        };
    }

    std::unique_ptr<pop::Session> session;
    POPTRACEPROC trace_proc = nullptr;
    LPVOID trace_param = nullptr;
    std::FILE *trace_file = nullptr;
    // A retrieval kept for the second call of the size-query idiom.
    struct Held {
        std::string key; // what was fetched: "RETR 3", "TOP 3 0", a raw command
        std::string data;
    } held;
};

using Object = PopObject;

// One session call, with the whole-call deadline applied.
template <class Body> DWORD with_session(HCLIENT handle, Body &&body) noexcept {
    return with_handle<PopObject>(handle, pop_kind, [&](PopObject &object) {
        pop::Session::Operation operation(*object.session);
        body(object, *object.session);
    });
}

// A caller's string, measured only up to limit so a huge one costs nothing.
std::string required_text(LPCSTR text, const char *name, std::size_t limit = 65536) {
    require_argument(text, name);
    std::size_t length = strnlen(text, limit + 1);
    if (length > limit) fail(INETKIT_ERROR_INVALID_PARAMETER, std::string(name) + " is longer than " + std::to_string(limit) + " bytes");
    return std::string(text, length);
}

// Bytes out with the size-query idiom; the data stays held when the buffer is too small.
void copy_bytes(PopObject &object, const std::string &key, LPVOID buffer, LPDWORD size) {
    require_argument(size, "the size pointer");
    const std::string &data = object.held.data;
    if (data.size() > 0xFFFFFFFEu) fail(INETKIT_ERROR_RESPONSE_TOO_LARGE, "the data is larger than 4 GiB");
    DWORD needed = static_cast<DWORD>(data.size());
    if (!buffer || *size < needed) {
        DWORD given = buffer ? *size : 0;
        *size = needed;
        fail(INETKIT_ERROR_INSUFFICIENT_BUFFER, key + ": " + std::to_string(needed) + " bytes; the buffer holds " +
                                                    std::to_string(given) + " (kept for the next call)");
    }
    std::memcpy(buffer, data.data(), data.size());
    *size = needed;
    object.held = {};
}

DWORD get_message(HCLIENT handle, DWORD message, std::optional<std::uint32_t> lines, LPVOID buffer, LPDWORD size) {
    return with_session(handle, [&](PopObject &object, pop::Session &session) {
        require_argument(size, "the size pointer");
        std::string key = lines ? "TOP " + std::to_string(message) + " " + std::to_string(*lines) : "RETR " + std::to_string(message);
        if (object.held.key != key) {
            object.held = {};
            if (!lines && session.message_size(message) > session.max_memory_message)
                fail(INETKIT_ERROR_RESPONSE_TOO_LARGE, "message " + std::to_string(message) +
                                                           " is larger than MaxMemoryMessage; store it to a file or read it as a stream");
            std::string data;
            session.retrieve(message, lines, [&](const char *bytes, std::size_t n) {
                if (data.size() + n > session.max_memory_message)
                    fail(INETKIT_ERROR_RESPONSE_TOO_LARGE, "the reply is larger than MaxMemoryMessage");
                data.append(bytes, n);
                return true;
            });
            object.held = {key, std::move(data)};
        }
        copy_bytes(object, key, buffer, size);
    });
}

std::vector<std::uint32_t> message_list(const DWORD *messages, DWORD count, pop::Session &session) {
    if (count > 0) {
        require_argument(messages, "lpMessages");
        return std::vector<std::uint32_t>(messages, messages + count);
    }
    if (messages) fail(INETKIT_ERROR_INVALID_PARAMETER, "nMessages is 0 but lpMessages is not NULL");
    // "Every message" means every one not marked deleted.
    const std::vector<pop::MessageEntry> &entries = session.list();
    std::vector<std::uint32_t> all;
    for (std::uint32_t i = 0; i < entries.size(); ++i)
        if (!entries[i].deleted) all.push_back(i + 1);
    return all;
}

std::string existing_directory(LPCSTR directory) {
    std::string path = required_text(directory, "lpszDirectory");
    struct stat info {};
    if (path.empty() || ::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        fail(INETKIT_ERROR_NOT_FOUND, "\"" + path + "\" is not an existing directory");
    return path;
}

// Appends a line and makes sure it is on disk before going on.
void append_durably(const std::string &path, const std::string &line) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int error = errno;
        fail_errno(error, "cannot open " + path);
    }
    std::string text = line + "\n";
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    int error = errno;
    ::close(fd);
    if (!ok) fail_errno(error, "cannot record the unique id in " + path);
}

std::uint64_t number_setting(const std::string &name, const std::string &value) {
    char *end = nullptr;
    errno = 0;
    unsigned long long number = value.empty() ? 0 : std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno == ERANGE || value[0] == '-')
        fail(INETKIT_ERROR_INVALID_PARAMETER, name + ": \"" + value + "\" is not a number");
    return number;
}

} // namespace
} // namespace inetkit::api

using namespace inetkit;
using namespace inetkit::api;

extern "C" {

DWORD INETKIT_CALL PopInitialize(void) noexcept {
    return guarded([] { library::initialize(library::Family::Pop); });
}

DWORD INETKIT_CALL PopUninitialize(void) noexcept {
    return guarded([] { library::uninitialize(library::Family::Pop); });
}

DWORD INETKIT_CALL PopGetLastError(void) noexcept { return last_error::get().code; }

DWORD INETKIT_CALL PopGetLastErrorMessage(LPSTR lpszMessage, LPDWORD lpcchMessage) noexcept {
    return last_error_message(lpszMessage, lpcchMessage);
}

DWORD INETKIT_CALL PopGetErrorString(DWORD dwErrorCode, LPSTR lpszText, LPDWORD lpcchText) noexcept {
    return error_string(dwErrorCode, lpszText, lpcchText);
}

HCLIENT INETKIT_CALL PopConnect(LPCSTR lpszHost, UINT nPort, UINT nTimeout, DWORD dwOptions,
                                LPCSECURITYCREDENTIALS lpCredentials) noexcept {
    return guarded_create([&] {
        library::require(library::Family::Pop);
        if (dwOptions & ~pop_options) {
            char text[96];
            std::snprintf(text, sizeof text, "unknown option bits %#x", dwOptions & ~pop_options);
            fail(INETKIT_ERROR_INVALID_PARAMETER, text);
        }
        if ((dwOptions & POP_OPTION_SECURE_EXPLICIT) && (dwOptions & POP_OPTION_SECURE_IMPLICIT))
            fail(INETKIT_ERROR_INVALID_PARAMETER, "choose POP_OPTION_SECURE_EXPLICIT or POP_OPTION_SECURE_IMPLICIT, not both");
        if (nPort > 65535) fail(INETKIT_ERROR_INVALID_PARAMETER, "port " + std::to_string(nPort) + " is not in 1-65535");
        pop::ConnectSettings settings;
        settings.host = net::checked_host(lpszHost);
        bool implicit = (dwOptions & POP_OPTION_SECURE_IMPLICIT) != 0;
        settings.port = static_cast<std::uint16_t>(nPort ? nPort : implicit ? POP_PORT_SECURE : POP_PORT);
        // The secure port means implicit TLS, unless the port was forwarded.
        if (settings.port == POP_PORT_SECURE && !(dwOptions & POP_OPTION_TUNNEL) && !(dwOptions & POP_OPTION_SECURE_EXPLICIT))
            implicit = true;
        settings.security = implicit ? pop::Security::Implicit
                            : (dwOptions & POP_OPTION_SECURE_EXPLICIT) ? pop::Security::Explicit
                                                                       : pop::Security::None;
        DWORD tls_flags = ((dwOptions & POP_OPTION_TRUSTEDSITE) ? INET_OPTION_TRUSTEDSITE : 0u) |
                          ((dwOptions & POP_OPTION_SECURE_FALLBACK) ? INET_OPTION_SECURE_FALLBACK : 0u);
        if (settings.security != pop::Security::None) {
            net::TlsSettings tls = tls_settings(lpCredentials, tls_flags, false);
            if ((dwOptions & POP_OPTION_TUNNEL) && tls.verify_name.empty() && !tls.trusted_site)
                fail(INETKIT_ERROR_INVALID_PARAMETER,
                     "a tunnelled TLS session verifies the name in lpszVerifyName; set it (or POP_OPTION_TRUSTEDSITE)");
            settings.tls = net::TlsContext::obtain(tls);
        } else if (lpCredentials || tls_flags) {
            fail(INETKIT_ERROR_INVALID_PARAMETER, "TLS credentials or options without POP_OPTION_SECURE_EXPLICIT or _IMPLICIT");
        }
        settings.timeout = net::Milliseconds((nTimeout ? nTimeout : POP_DEFAULT_TIMEOUT) * 1000ll);
        settings.prefer_ipv6 = (dwOptions & POP_OPTION_PREFER_IPV6) != 0;
        auto session = pop::Session::connect(settings, nullptr);
        session->linebreak = (dwOptions & POP_OPTION_LINEBREAK) != 0;
        return HandleTable::instance().insert(
            std::make_shared<PopObject>(std::move(session), (dwOptions & POP_OPTION_FREETHREAD) != 0));
    });
}

DWORD INETKIT_CALL PopLogin(HCLIENT hClient, UINT nAuthType, LPCSTR lpszUserName, LPCSTR lpszPassword) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        if (nAuthType > POP_AUTH_OAUTHBEARER) fail(INETKIT_ERROR_INVALID_PARAMETER, "nAuthType is not a POP_AUTH_* value");
        session.login(static_cast<pop::Auth>(nAuthType), required_text(lpszUserName, "lpszUserName", 4096),
                      required_text(lpszPassword, "lpszPassword", 4096));
    });
}

DWORD INETKIT_CALL PopQuit(HCLIENT hClient) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { session.quit(); });
}

DWORD INETKIT_CALL PopDisconnect(HCLIENT hClient) noexcept {
    return guarded([&] {
        try {
            // QUIT commits deletions; only a thread that may use the handle
            // right now sends it, and never waits for one that is busy.
            CallLease lease(hClient, pop_kind, false);
            pop::Session &session = *lease.get<PopObject>().session;
            if (session.in_step()) {
                session.connection().timeouts().call = net::Milliseconds(5000);
                try {
                    session.quit();
                } catch (const Error &) { // the server is gone: closing is all that is left
                }
            }
        } catch (const Error &error) {
            if (error.code() == INETKIT_ERROR_INVALID_HANDLE) throw;
        }
        HandleTable::instance().close(hClient, pop_kind);
    });
}

DWORD INETKIT_CALL PopCancel(HCLIENT hClient) noexcept {
    return guarded([&] { HandleTable::instance().find(hClient, pop_kind)->cancel_call(); });
}

DWORD INETKIT_CALL PopAttachThread(HCLIENT hClient, DWORD dwThreadId) noexcept {
    thread::Id previous = 0;
    guarded([&] { previous = HandleTable::instance().attach_thread(hClient, pop_kind, dwThreadId); });
    return previous;
}

DWORD INETKIT_CALL PopGetCapabilities(HCLIENT hClient, LPSTR lpszCapabilities, LPDWORD lpcchCapabilities) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        std::string text;
        for (const std::string &line : session.capabilities()) text += line + "\n";
        copy_out(text, lpszCapabilities, lpcchCapabilities);
    });
}

DWORD INETKIT_CALL PopGetCapability(HCLIENT hClient, LPCSTR lpszName, LPSTR lpszValue, LPDWORD lpcchValue) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        std::string name = required_text(lpszName, "lpszName");
        std::optional<std::string> value = session.capability(name);
        if (!value) fail(INETKIT_ERROR_NOT_FOUND, "the server does not list the capability " + name);
        copy_out(*value, lpszValue, lpcchValue);
    });
}

DWORD INETKIT_CALL PopGetLastReply(HCLIENT hClient, LPBOOL lpbOk, LPSTR lpszReply, LPDWORD lpcchReply) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        if (lpszReply && !lpcchReply) fail(INETKIT_ERROR_INVALID_PARAMETER, "a reply buffer was given without its size");
        if (lpbOk) *lpbOk = session.last_reply().ok;
        if (lpcchReply) copy_out(session.last_reply().line, lpszReply, lpcchReply);
    });
}

DWORD INETKIT_CALL PopGetSecurityInfo(HCLIENT hClient, INETSECURITYINFO *lpInfo) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { fill_security_info(session.connection(), lpInfo); });
}

DWORD INETKIT_CALL PopGetMessageCount(HCLIENT hClient, LPDWORD lpdwCount, ULONGLONG *lpullOctets) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        auto [count, octets] = session.stat();
        if (lpdwCount) *lpdwCount = count;
        if (lpullOctets) *lpullOctets = octets;
    });
}

DWORD INETKIT_CALL PopListMessages(HCLIENT hClient, LPDWORD lpdwCount) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        DWORD count = static_cast<DWORD>(session.list().size());
        if (lpdwCount) *lpdwCount = count;
    });
}

DWORD INETKIT_CALL PopGetMessageInfo(HCLIENT hClient, DWORD dwMessage, POPMESSAGEINFO *lpInfo) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        prepare_output(lpInfo, "POPMESSAGEINFO", "lpInfo");
        const pop::MessageEntry &entry = session.entry(dwMessage);
        lpInfo->dwMessage = dwMessage;
        lpInfo->ullOctets = entry.octets;
        lpInfo->bDeleted = entry.deleted;
        std::snprintf(lpInfo->szUid, sizeof lpInfo->szUid, "%s", entry.uid.c_str());
    });
}

DWORD INETKIT_CALL PopGetMessageSize(HCLIENT hClient, DWORD dwMessage, ULONGLONG *lpullOctets) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        require_argument(lpullOctets, "lpullOctets");
        *lpullOctets = session.message_size(dwMessage);
    });
}

DWORD INETKIT_CALL PopGetMessageUid(HCLIENT hClient, DWORD dwMessage, LPSTR lpszUid, LPDWORD lpcchUid) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        require_argument(lpcchUid, "lpcchUid");
        copy_out(session.message_uid(dwMessage), lpszUid, lpcchUid);
    });
}

DWORD INETKIT_CALL PopFindMessage(HCLIENT hClient, LPCSTR lpszUid, LPDWORD lpdwMessage) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        std::string uid = required_text(lpszUid, "lpszUid");
        require_argument(lpdwMessage, "lpdwMessage");
        std::optional<std::uint32_t> message = session.find(uid);
        if (!message) fail(INETKIT_ERROR_NOT_FOUND, "no message has that unique id");
        *lpdwMessage = *message;
    });
}

DWORD INETKIT_CALL PopGetMessage(HCLIENT hClient, DWORD dwMessage, LPVOID lpBuffer, LPDWORD lpcbBuffer) noexcept {
    return get_message(hClient, dwMessage, std::nullopt, lpBuffer, lpcbBuffer);
}

DWORD INETKIT_CALL PopGetMessageHeaders(HCLIENT hClient, DWORD dwMessage, LPVOID lpBuffer, LPDWORD lpcbBuffer) noexcept {
    return get_message(hClient, dwMessage, 0u, lpBuffer, lpcbBuffer);
}

DWORD INETKIT_CALL PopGetMessageTop(HCLIENT hClient, DWORD dwMessage, DWORD nLines, LPVOID lpBuffer,
                                    LPDWORD lpcbBuffer) noexcept {
    return get_message(hClient, dwMessage, nLines, lpBuffer, lpcbBuffer);
}

DWORD INETKIT_CALL PopStoreMessage(HCLIENT hClient, DWORD dwMessage, LPCSTR lpszFileName) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        std::string path = required_text(lpszFileName, "lpszFileName");
        if (path.empty()) fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszFileName is empty");
        session.store(dwMessage, path);
    });
}

DWORD INETKIT_CALL PopRetrieveMessage(HCLIENT hClient, DWORD dwMessage, POPDATAPROC lpfnData, LPVOID lpParam) noexcept {
    return with_session(hClient, [&](Object &object, pop::Session &session) {
        require_argument(reinterpret_cast<const void *>(lpfnData), "lpfnData");
        HCLIENT handle = object.handle();
        session.retrieve(dwMessage, std::nullopt, [&](const char *data, std::size_t size) {
            return lpfnData(handle, dwMessage, data, static_cast<DWORD>(size), lpParam) != FALSE;
        });
    });
}

DWORD INETKIT_CALL PopOpenMessage(HCLIENT hClient, DWORD dwMessage, DWORD nLines) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) {
        session.open_message(dwMessage, nLines == POP_ALL_LINES ? std::nullopt : std::optional<std::uint32_t>(nLines));
    });
}

DWORD INETKIT_CALL PopRead(HCLIENT hClient, LPVOID lpBuffer, DWORD cbBuffer, LPDWORD lpcbRead) noexcept {
    if (lpcbRead) *lpcbRead = 0;
    return with_session(hClient, [&](Object &, pop::Session &session) {
        require_argument(lpBuffer, "lpBuffer");
        require_argument(lpcbRead, "lpcbRead");
        if (cbBuffer == 0) fail(INETKIT_ERROR_INVALID_PARAMETER, "cbBuffer is 0");
        *lpcbRead = static_cast<DWORD>(session.read_message(static_cast<char *>(lpBuffer), cbBuffer));
    });
}

DWORD INETKIT_CALL PopCloseMessage(HCLIENT hClient) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { session.close_message(); });
}

DWORD INETKIT_CALL PopStoreMessages(HCLIENT hClient, const DWORD *lpMessages, DWORD nMessages, LPCSTR lpszDirectory,
                                    LPDWORD lpnStored) noexcept {
    DWORD stored = 0;
    DWORD result = with_session(hClient, [&](Object &, pop::Session &session) {
        std::string directory = existing_directory(lpszDirectory);
        session.store_many(message_list(lpMessages, nMessages, session), directory,
                           [&](std::uint32_t, const std::string &) { ++stored; }, false);
    });
    if (lpnStored) *lpnStored = stored;
    return result;
}

DWORD INETKIT_CALL PopStoreNewMessages(HCLIENT hClient, LPCSTR lpszSeenFile, LPCSTR lpszDirectory,
                                       LPDWORD lpnStored) noexcept {
    DWORD stored = 0;
    DWORD result = with_session(hClient, [&](Object &, pop::Session &session) {
        std::string seen_file = required_text(lpszSeenFile, "lpszSeenFile");
        std::string directory = existing_directory(lpszDirectory);
        std::set<std::string> seen;
        {
            std::ifstream in(seen_file);
            for (std::string line; std::getline(in, line);) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (!line.empty()) seen.insert(line);
            }
        }
        const std::vector<pop::MessageEntry> &entries = session.list();
        if (!session.has_uids())
            fail(INETKIT_ERROR_NOT_SUPPORTED, "the server gives no unique ids (UIDL): new mail cannot be told from old");
        std::vector<std::uint32_t> fresh;
        for (std::uint32_t i = 0; i < entries.size(); ++i)
            if (!entries[i].deleted && !seen.count(entries[i].uid)) fresh.push_back(i + 1);
        session.store_many(fresh, directory, [&](std::uint32_t message, const std::string &) {
            // Only a message already complete on disk is recorded as seen.
            append_durably(seen_file, entries[message - 1].uid);
            ++stored;
        }, true);
    });
    if (lpnStored) *lpnStored = stored;
    return result;
}

DWORD INETKIT_CALL PopDeleteMessage(HCLIENT hClient, DWORD dwMessage) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { session.remove(dwMessage); });
}

DWORD INETKIT_CALL PopDeleteMessages(HCLIENT hClient, const DWORD *lpMessages, DWORD nMessages, LPDWORD lpnDeleted) noexcept {
    std::size_t deleted = 0;
    DWORD result = with_session(hClient, [&](Object &, pop::Session &session) {
        if (nMessages == 0) fail(INETKIT_ERROR_INVALID_PARAMETER, "nMessages is 0");
        session.remove_many(message_list(lpMessages, nMessages, session), deleted);
    });
    if (lpnDeleted) *lpnDeleted = static_cast<DWORD>(deleted);
    return result;
}

DWORD INETKIT_CALL PopReset(HCLIENT hClient) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { session.reset(); });
}

DWORD INETKIT_CALL PopNoop(HCLIENT hClient) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { session.noop(); });
}

DWORD INETKIT_CALL PopEnableUtf8(HCLIENT hClient) noexcept {
    return with_session(hClient, [&](Object &, pop::Session &session) { session.enable_utf8(); });
}

DWORD INETKIT_CALL PopCommand(HCLIENT hClient, LPCSTR lpszCommand, BOOL bMultiline, LPVOID lpBuffer,
                              LPDWORD lpcbBuffer) noexcept {
    return with_session(hClient, [&](Object &object, pop::Session &session) {
        std::string command = required_text(lpszCommand, "lpszCommand");
        std::string key = "COMMAND " + command;
        // A retry with a larger buffer gets the kept reply: commands are not re-sent.
        if (object.held.key != key) {
            object.held = {};
            std::string data = session.raw_command(command, bMultiline != FALSE);
            if (!bMultiline) {
                if (lpcbBuffer) *lpcbBuffer = 0;
                return;
            }
            object.held = {key, std::move(data)};
        }
        if (!lpcbBuffer && !lpBuffer) { // the caller does not want the data
            object.held = {};
            return;
        }
        copy_bytes(object, key, lpBuffer, lpcbBuffer);
    });
}

DWORD INETKIT_CALL PopConfig(HCLIENT hClient, LPCSTR lpszSetting) noexcept {
    return with_session(hClient, [&](Object &object, pop::Session &session) {
        std::string setting = required_text(lpszSetting, "lpszSetting");
        std::size_t equals = setting.find('=');
        if (equals == std::string::npos) fail(INETKIT_ERROR_INVALID_PARAMETER, "\"" + setting + "\" is not Name=Value");
        std::string name = setting.substr(0, equals), value = setting.substr(equals + 1);
        if (name == "Pipelining") {
            if (value == "auto") session.pipelining = pop::Pipelining::Auto;
            else if (value == "on") session.pipelining = pop::Pipelining::On;
            else if (value == "off") session.pipelining = pop::Pipelining::Off;
            else fail(INETKIT_ERROR_INVALID_PARAMETER, "Pipelining is auto, on or off");
        } else if (name == "Timeout") {
            std::uint64_t ms = number_setting(name, value);
            if (ms == 0 || ms > 0x7FFFFFFF) fail(INETKIT_ERROR_INVALID_PARAMETER, "Timeout is 1 to 2147483647 ms");
            session.connection().timeouts().inactivity = net::Milliseconds(ms);
        } else if (name == "Deadline") {
            std::uint64_t ms = number_setting(name, value);
            if (ms > 0x7FFFFFFF) fail(INETKIT_ERROR_INVALID_PARAMETER, "Deadline is 0 to 2147483647 ms");
            session.deadline = net::Milliseconds(ms);
        } else if (name == "MaxLineLength") {
            std::uint64_t bytes = number_setting(name, value);
            if (bytes < 512 || bytes > (1u << 20)) fail(INETKIT_ERROR_INVALID_PARAMETER, "MaxLineLength is 512 to 1048576");
            session.max_line = static_cast<std::size_t>(bytes);
        } else if (name == "MaxMemoryMessage") {
            std::uint64_t bytes = number_setting(name, value);
            if (bytes == 0 || bytes > 0xFFFFFFFEu) fail(INETKIT_ERROR_INVALID_PARAMETER, "MaxMemoryMessage is 1 to 4294967294");
            session.max_memory_message = static_cast<std::size_t>(bytes);
        } else if (name == "TraceFile") {
            if (object.trace_file) std::fclose(object.trace_file);
            object.trace_file = nullptr;
            if (!value.empty()) {
                object.trace_file = std::fopen(value.c_str(), "ae");
                if (!object.trace_file) {
                    int error = errno;
                    object.update_trace();
                    fail_errno(error, "cannot open the trace file " + value);
                }
            }
            object.update_trace();
        } else {
            fail(INETKIT_ERROR_INVALID_PARAMETER, "unknown setting \"" + name + "\"");
        }
    });
}

DWORD INETKIT_CALL PopSetProgressCallback(HCLIENT hClient, POPPROGRESSPROC lpfnProgress, LPVOID lpParam) noexcept {
    return with_session(hClient, [&](Object &object, pop::Session &session) {
        if (!lpfnProgress) {
            session.progress = nullptr;
            return;
        }
        HCLIENT handle = object.handle();
        session.progress = [=](std::uint32_t message, std::uint64_t done, std::uint64_t expected) {
            return lpfnProgress(handle, message, done, expected, lpParam) != FALSE;
        };
    });
}

DWORD INETKIT_CALL PopSetTraceCallback(HCLIENT hClient, POPTRACEPROC lpfnTrace, LPVOID lpParam) noexcept {
    return with_session(hClient, [&](Object &object, pop::Session &) {
        object.trace_proc = lpfnTrace;
        object.trace_param = lpParam;
        object.update_trace();
    });
}

} // extern "C"
