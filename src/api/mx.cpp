// The Mx family's exports: argument checks, a handle lease, one resolver
// call each, and the delivery of finished requests to the callbacks or the
// pull-style result, inside the exception barrier.
#include "api/barrier.hpp"
#include "core/library.hpp"
#include "mx/resolver.hpp"

#include <inetkit/mx.h>

#include <atomic>
#include <cstring>
#include <optional>

namespace inetkit::api {
namespace {

using mx::Clock;
using mx::Milliseconds;

struct MxObject final : HandleObject {
    explicit MxObject(bool freethread) : HandleObject(HandleKind::MxResolver, freethread) {}
    void cancel_call() noexcept override { resolver.interrupt(); }
    void abort() noexcept override { resolver.abort(); }
    void begin_call() noexcept override { interrupts_at_call = resolver.interrupts(); }

    mx::Resolver resolver;
    // Read before the lease is taken, to choose between waiting for it and BUSY.
    std::atomic<std::uint32_t> timeout_seconds{MX_DEFAULT_TIMEOUT};
    MXRESPONSEPROC response_proc = nullptr;
    LPVOID response_param = nullptr;
    MXERRORPROC error_proc = nullptr;
    LPVOID error_param = nullptr;
    std::optional<mx::Result> current;
    bool status_pending = false; // Status reads "" from an MxResolve until the next delivery
    std::uint64_t interrupts_at_call = 0;

    bool has_callbacks() const noexcept { return response_proc || error_proc; }
};

// One leased call; the event descriptor's timer is set for outside loops on the way out.
template <class Body> DWORD with_resolver(HCLIENT handle, Body &&body, bool wait = true) noexcept {
    return guarded([&] {
        CallLease lease(handle, mx_kind, wait);
        MxObject &object = lease.get<MxObject>();
        struct Rearm {
            mx::Resolver &resolver;
            ~Rearm() { resolver.arm_timer(); }
        } rearm{object.resolver};
        body(object);
    });
}

template <std::size_t N> void copy_text(char (&target)[N], std::string_view text) {
    std::size_t n = std::min(text.size(), N - 1);
    std::memcpy(target, text.data(), n);
    target[n] = '\0';
}

// Fills a zeroed record (dwSize is the caller's).
void fill_record(MXRECORD &record, const mx::Result &result, std::size_t index) {
    const mx::Exchanger &exchanger = result.exchangers[index];
    record.dwRequestId = result.request_id;
    record.dwIndex = static_cast<DWORD>(index);
    record.dwCount = static_cast<DWORD>(result.exchangers.size());
    record.dwPrecedence = exchanger.preference;
    record.dwTimeToLive = exchanger.ttl;
    record.dwStatusCode = result.status_code;
    record.bAuthoritative = result.authoritative ? TRUE : FALSE;
    record.dwFlags = exchanger.flags;
    record.dwAddressCount = static_cast<DWORD>(exchanger.addresses.size());
    copy_text(record.szDomain, result.domain);
    copy_text(record.szMailServer, exchanger.name);
    copy_text(record.szDescription, mx::rcode_text(result.status_code));
}

MXRECORD record_of(const mx::Result &result, std::size_t index) {
    MXRECORD record{};
    record.dwSize = sizeof record;
    fill_record(record, result, index);
    return record;
}

MXADDRESS address_of(const mx::Address &address) {
    MXADDRESS out{};
    out.dwSize = sizeof out;
    out.dwFamily = static_cast<DWORD>(address.family);
    out.dwTimeToLive = address.ttl;
    copy_text(out.szAddress, address.text);
    return out;
}

void fire(MxObject &object, const mx::Result &result) {
    HCLIENT handle = object.handle();
    if (result.error != 0) {
        if (object.error_proc)
            run_callback("error", [&] {
                object.error_proc(handle, result.request_id, result.domain.c_str(), result.error, result.status_code,
                                  result.status.c_str(), object.error_param);
            });
        return;
    }
    if (!object.response_proc) return;
    std::vector<MXADDRESS> addresses;
    for (std::size_t i = 0; i < result.exchangers.size(); ++i) {
        MXRECORD record = record_of(result, i);
        addresses.clear();
        for (const mx::Address &address : result.exchangers[i].addresses) addresses.push_back(address_of(address));
        run_callback("response", [&] {
            object.response_proc(handle, &record, addresses.empty() ? nullptr : addresses.data(), object.response_param);
        });
        if (object.resolver.aborted()) return; // the callback destroyed the handle
    }
}

// Hands finished requests to the callbacks, when any are registered; without
// callbacks they stay queued for MxGetNextResult.
void deliver(MxObject &object) {
    std::deque<mx::Result> &finished = object.resolver.finished();
    while (object.has_callbacks() && !finished.empty()) {
        mx::Result result = std::move(finished.front());
        finished.pop_front();
        object.current = std::move(result);
        object.status_pending = false;
        fire(object, *object.current);
        if (object.resolver.aborted()) fail(INETKIT_ERROR_CANCELED, "the resolver was destroyed in a callback");
    }
}

// Exchanger index of the current result; NOT_FOUND when there is none.
const mx::Exchanger &exchanger_at(const MxObject &object, DWORD index) {
    std::size_t count = object.current ? object.current->exchangers.size() : 0;
    if (index >= count)
        fail(INETKIT_ERROR_NOT_FOUND, "record " + std::to_string(index) + " does not exist; the result has " +
                                          std::to_string(count));
    return object.current->exchangers[index];
}

void check_interrupted(const MxObject &object) {
    if (object.resolver.interrupts() != object.interrupts_at_call)
        fail(INETKIT_ERROR_CANCELED, "MxInterrupt ended the wait");
}

Milliseconds until(Clock::time_point end) {
    if (end == Clock::time_point::max()) return Milliseconds::max();
    return std::max(Milliseconds(0), std::chrono::duration_cast<Milliseconds>(end - Clock::now()) + Milliseconds(1));
}

Clock::time_point end_after(DWORD milliseconds) {
    return milliseconds == MX_WAIT_INFINITE ? Clock::time_point::max() : Clock::now() + Milliseconds(milliseconds);
}

// A view of the caller's string, valid for the call (a copy cost an allocation per MxResolve).
std::string_view address_argument(LPCSTR address) {
    require_argument(address, "lpszAddress");
    std::size_t length = strnlen(address, 4097);
    if (length > 4096) fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszAddress is longer than 320 bytes");
    return std::string_view(address, length);
}

DWORD resolve_blocking(HCLIENT handle, std::string_view input, LPDWORD request_id) {
    return with_resolver(handle, [&](MxObject &object) {
        mx::Resolver &resolver = object.resolver;
        if (resolver.pending() > 0)
            fail(INETKIT_ERROR_BUSY, std::to_string(resolver.pending()) +
                                         " asynchronous requests are in flight; a blocking MxResolve waits for none");
        Milliseconds limit = Milliseconds(std::uint64_t{resolver.settings().timeout_seconds} * 1000);
        if (resolver.settings().absolute_timeout_ms)
            limit = std::min(limit, Milliseconds(resolver.settings().absolute_timeout_ms));
        Clock::time_point deadline = Clock::now() + limit;
        object.status_pending = true;
        std::uint32_t id = resolver.submit(input, deadline);
        if (request_id) *request_id = id;
        while (resolver.is_pending(id)) resolver.poll(until(deadline));
        // Only this request can have finished: nothing else was in flight.
        std::deque<mx::Result> &finished = resolver.finished();
        auto mine = std::find_if(finished.begin(), finished.end(), [&](const mx::Result &r) { return r.request_id == id; });
        if (mine == finished.end()) fail(INETKIT_ERROR_INTERNAL, "the request's result is missing");
        object.current = std::move(*mine);
        finished.erase(mine);
        object.status_pending = false;
        fire(object, *object.current);
        if (object.current->error != 0) fail(object.current->error, object.current->status);
    }, false);
}

} // namespace
} // namespace inetkit::api

using namespace inetkit;
using namespace inetkit::api;

extern "C" {

DWORD INETKIT_CALL MxInitialize(void) noexcept {
    return guarded([] { library::initialize(library::Family::Mx); });
}

DWORD INETKIT_CALL MxUninitialize(void) noexcept {
    return guarded([] { library::uninitialize(library::Family::Mx); });
}

DWORD INETKIT_CALL MxGetLastError(void) noexcept { return last_error::get().code; }

DWORD INETKIT_CALL MxGetLastErrorMessage(LPSTR lpszMessage, LPDWORD lpcchMessage) noexcept {
    return last_error_message(lpszMessage, lpcchMessage);
}

DWORD INETKIT_CALL MxGetErrorString(DWORD dwErrorCode, LPSTR lpszText, LPDWORD lpcchText) noexcept {
    return error_string(dwErrorCode, lpszText, lpcchText);
}

HCLIENT INETKIT_CALL MxCreate(DWORD dwOptions) noexcept {
    return guarded_create([&] {
        library::require(library::Family::Mx);
        if (dwOptions & ~MX_OPTION_FREETHREAD)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "unknown option bits " + std::to_string(dwOptions & ~MX_OPTION_FREETHREAD));
        return HandleTable::instance().insert(std::make_shared<MxObject>((dwOptions & MX_OPTION_FREETHREAD) != 0));
    });
}

DWORD INETKIT_CALL MxDestroy(HCLIENT hClient) noexcept {
    return guarded([&] { HandleTable::instance().close(hClient, mx_kind); });
}

DWORD INETKIT_CALL MxAttachThread(HCLIENT hClient, DWORD dwThreadId) noexcept {
    thread::Id previous = 0;
    guarded([&] { previous = HandleTable::instance().attach_thread(hClient, mx_kind, dwThreadId); });
    return previous;
}

DWORD INETKIT_CALL MxResolve(HCLIENT hClient, LPCSTR lpszAddress, LPDWORD lpdwRequestId) noexcept {
    std::shared_ptr<HandleObject> found;
    DWORD status = guarded([&] { found = HandleTable::instance().find(hClient, mx_kind); });
    if (status != 0) return status;
    // A blocking resolve never queues behind another call on a FREETHREAD
    // handle: its lease does not wait, so a concurrent call makes it BUSY
    // (a call from its own callback is still REENTRANT_CALL, checked first).
    if (static_cast<MxObject &>(*found).timeout_seconds.load() > 0) {
        std::string_view input;
        status = guarded([&] { input = address_argument(lpszAddress); });
        return status != 0 ? status : resolve_blocking(hClient, input, lpdwRequestId);
    }
    return with_resolver(hClient, [&](MxObject &self) {
        std::string_view input = address_argument(lpszAddress);
        const mx::Settings &settings = self.resolver.settings();
        if (settings.timeout_seconds > 0) fail(INETKIT_ERROR_BUSY, "the Timeout changed during the call; try again");
        Milliseconds limit(settings.absolute_timeout_ms ? settings.absolute_timeout_ms : MX_DEFAULT_TIMEOUT * 1000u);
        std::uint32_t id = self.resolver.submit(input, Clock::now() + limit);
        self.status_pending = true;
        if (lpdwRequestId) *lpdwRequestId = id;
    });
}

DWORD INETKIT_CALL MxDoEvents(HCLIENT hClient, DWORD dwTimeoutMs) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        mx::Resolver &resolver = object.resolver;
        Clock::time_point end = end_after(dwTimeoutMs);
        std::size_t before = resolver.finished().size();
        do {
            resolver.poll(resolver.pending() ? until(end) : Milliseconds(0));
            if (resolver.finished().size() != before || resolver.interrupts() != object.interrupts_at_call) break;
        } while (resolver.pending() > 0 && Clock::now() < end);
        deliver(object); // the requests an interrupt canceled too, before saying so
        check_interrupted(object);
    });
}

DWORD INETKIT_CALL MxWait(HCLIENT hClient, DWORD dwTimeoutMs) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        mx::Resolver &resolver = object.resolver;
        Clock::time_point end = end_after(dwTimeoutMs);
        for (;;) {
            deliver(object);
            check_interrupted(object);
            if (resolver.pending() == 0) return;
            if (Clock::now() >= end)
                fail(INETKIT_ERROR_TIMED_OUT, std::to_string(resolver.pending()) + " requests are still in flight after " +
                                                  std::to_string(dwTimeoutMs) + " ms");
            resolver.poll(until(end));
        }
    });
}

DWORD INETKIT_CALL MxGetNextResult(HCLIENT hClient, DWORD dwTimeoutMs, LPDWORD lpdwRequestId, LPDWORD lpdwError) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        mx::Resolver &resolver = object.resolver;
        Clock::time_point end = end_after(dwTimeoutMs);
        for (;;) {
            deliver(object); // to callbacks, if any are registered
            std::deque<mx::Result> &finished = resolver.finished();
            if (!finished.empty()) {
                object.current = std::move(finished.front());
                finished.pop_front();
                object.status_pending = false;
                if (lpdwRequestId) *lpdwRequestId = object.current->request_id;
                if (lpdwError) *lpdwError = object.current->error;
                return;
            }
            check_interrupted(object);
            if (resolver.pending() == 0) fail(INETKIT_ERROR_NOT_FOUND, "nothing is in flight and no result is waiting");
            if (Clock::now() >= end)
                fail(INETKIT_ERROR_TIMED_OUT, "no request finished within " + std::to_string(dwTimeoutMs) + " ms (" +
                                                  std::to_string(resolver.pending()) + " in flight)");
            resolver.poll(until(end));
        }
    });
}

DWORD INETKIT_CALL MxInterrupt(HCLIENT hClient) noexcept {
    return guarded([&] { HandleTable::instance().find(hClient, mx_kind)->cancel_call(); });
}

DWORD INETKIT_CALL MxReset(HCLIENT hClient) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        object.resolver.reset();
        object.timeout_seconds.store(MX_DEFAULT_TIMEOUT);
        object.current.reset();
        object.status_pending = false;
    });
}

DWORD INETKIT_CALL MxGetEventDescriptor(HCLIENT hClient, INT *lpnDescriptor) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpnDescriptor, "lpnDescriptor");
        *lpnDescriptor = object.resolver.event_descriptor();
    });
}

DWORD INETKIT_CALL MxGetNextTimeout(HCLIENT hClient, LPDWORD lpdwTimeoutMs) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpdwTimeoutMs, "lpdwTimeoutMs");
        mx::Resolver &resolver = object.resolver;
        if (!resolver.finished().empty()) *lpdwTimeoutMs = 0;
        else if (resolver.pending() == 0) *lpdwTimeoutMs = MX_WAIT_INFINITE;
        else {
            Milliseconds next = resolver.next_timeout();
            *lpdwTimeoutMs = next == Milliseconds::max() ? MX_WAIT_INFINITE
                                                         : static_cast<DWORD>(std::min<long long>(next.count(), 0xFFFFFFFE));
        }
    });
}

DWORD INETKIT_CALL MxGetResult(HCLIENT hClient, MXRESULT *lpResult) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        prepare_output(lpResult, "MXRESULT", "lpResult");
        if (!object.current) fail(INETKIT_ERROR_NOT_FOUND, "no request has finished on this handle yet");
        const mx::Result &result = *object.current;
        lpResult->dwRequestId = result.request_id;
        lpResult->dwError = result.error;
        lpResult->dwStatusCode = result.status_code;
        lpResult->dwCount = static_cast<DWORD>(result.exchangers.size());
        lpResult->dwFlags = result.flags;
        lpResult->dwElapsed = result.elapsed_ms;
        copy_text(lpResult->szDomain, result.domain);
        copy_text(lpResult->szCanonicalName, result.canonical_name);
        copy_text(lpResult->szDnsServer, result.server);
        copy_text(lpResult->szStatus, result.status);
    });
}

DWORD INETKIT_CALL MxGetRecordCount(HCLIENT hClient, LPDWORD lpdwCount) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpdwCount, "lpdwCount");
        *lpdwCount = object.current ? static_cast<DWORD>(object.current->exchangers.size()) : 0;
    });
}

DWORD INETKIT_CALL MxGetRecord(HCLIENT hClient, DWORD dwIndex, MXRECORD *lpRecord) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        prepare_output(lpRecord, "MXRECORD", "lpRecord");
        exchanger_at(object, dwIndex);
        fill_record(*lpRecord, *object.current, dwIndex); // in place: prepare_output zeroed it
    });
}

DWORD INETKIT_CALL MxGetRecordAddress(HCLIENT hClient, DWORD dwIndex, DWORD dwAddress, MXADDRESS *lpAddress) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        prepare_output(lpAddress, "MXADDRESS", "lpAddress");
        const std::vector<mx::Address> &addresses = exchanger_at(object, dwIndex).addresses;
        if (dwAddress >= addresses.size())
            fail(INETKIT_ERROR_NOT_FOUND, "record " + std::to_string(dwIndex) + " has " + std::to_string(addresses.size()) +
                                              " addresses; there is no address " + std::to_string(dwAddress));
        DWORD size = lpAddress->dwSize;
        *lpAddress = address_of(addresses[dwAddress]);
        lpAddress->dwSize = size;
    });
}

DWORD INETKIT_CALL MxSetDnsServer(HCLIENT hClient, LPCSTR lpszServers) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        std::optional<std::vector<mx::ServerAddress>> servers;
        if (lpszServers && *lpszServers) servers = mx::parse_server_list(std::string_view(lpszServers, strnlen(lpszServers, 4097)));
        object.resolver.configure([&](mx::Settings &settings) { settings.servers = servers; }, true);
    });
}

DWORD INETKIT_CALL MxGetDnsServer(HCLIENT hClient, LPSTR lpszServers, LPDWORD lpcchServers) noexcept {
    return with_resolver(hClient, [&](MxObject &object) { copy_out(object.resolver.servers_in_use(), lpszServers, lpcchServers); });
}

DWORD INETKIT_CALL MxSetDnsPort(HCLIENT hClient, UINT nPort) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        if (nPort == 0 || nPort > 65535) fail(INETKIT_ERROR_INVALID_PARAMETER, "the DNS port is 1 to 65535, not " + std::to_string(nPort));
        object.resolver.configure([&](mx::Settings &settings) { settings.dns_port = static_cast<std::uint16_t>(nPort); }, true);
    });
}

DWORD INETKIT_CALL MxGetDnsPort(HCLIENT hClient, LPUINT lpnPort) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpnPort, "lpnPort");
        *lpnPort = object.resolver.settings().dns_port;
    });
}

DWORD INETKIT_CALL MxSetTimeout(HCLIENT hClient, UINT nSeconds) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        if (nSeconds > 86400) fail(INETKIT_ERROR_INVALID_PARAMETER, "the Timeout is 0 to 86400 seconds");
        object.resolver.configure([&](mx::Settings &settings) { settings.timeout_seconds = nSeconds; }, false);
        object.timeout_seconds.store(nSeconds);
    });
}

DWORD INETKIT_CALL MxGetTimeout(HCLIENT hClient, LPUINT lpnSeconds) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpnSeconds, "lpnSeconds");
        *lpnSeconds = object.resolver.settings().timeout_seconds;
    });
}

DWORD INETKIT_CALL MxSetRequestId(HCLIENT hClient, DWORD dwRequestId) noexcept {
    return with_resolver(hClient, [&](MxObject &object) { object.resolver.set_next_request_id(dwRequestId); });
}

DWORD INETKIT_CALL MxGetRequestId(HCLIENT hClient, LPDWORD lpdwRequestId) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpdwRequestId, "lpdwRequestId");
        *lpdwRequestId = object.resolver.next_request_id();
    });
}

DWORD INETKIT_CALL MxSetLocalHost(HCLIENT hClient, LPCSTR lpszAddress) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        std::string address = lpszAddress ? std::string(lpszAddress, strnlen(lpszAddress, 4097)) : std::string();
        object.resolver.configure([&](mx::Settings &settings) { settings.set("LocalHost", address); }, true);
    });
}

DWORD INETKIT_CALL MxGetLocalHost(HCLIENT hClient, LPSTR lpszAddress, LPDWORD lpcchAddress) noexcept {
    return with_resolver(hClient, [&](MxObject &object) { copy_out(object.resolver.settings().local_host, lpszAddress, lpcchAddress); });
}

DWORD INETKIT_CALL MxGetMailServer(HCLIENT hClient, LPSTR lpszName, LPDWORD lpcchName) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        std::string name;
        if (object.current && !object.current->exchangers.empty()) name = object.current->exchangers.front().name;
        copy_out(name, lpszName, lpcchName);
    });
}

DWORD INETKIT_CALL MxGetStatus(HCLIENT hClient, LPSTR lpszStatus, LPDWORD lpcchStatus) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        copy_out(object.current && !object.status_pending ? object.current->status : std::string(), lpszStatus, lpcchStatus);
    });
}

DWORD INETKIT_CALL MxGetIdle(HCLIENT hClient, LPBOOL lpbIdle) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpbIdle, "lpbIdle");
        *lpbIdle = object.resolver.pending() == 0 && object.resolver.finished().empty() ? TRUE : FALSE;
    });
}

DWORD INETKIT_CALL MxConfig(HCLIENT hClient, LPCSTR lpszSetting) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpszSetting, "lpszSetting");
        std::string setting(lpszSetting, strnlen(lpszSetting, 8193));
        if (setting.size() > 8192) fail(INETKIT_ERROR_INVALID_PARAMETER, "lpszSetting is longer than 8192 bytes");
        std::size_t equals = setting.find('=');
        if (equals == std::string::npos)
            fail(INETKIT_ERROR_INVALID_PARAMETER, "\"" + setting.substr(0, 64) + "\" is not Name=Value (read a setting with MxGetConfig)");
        std::string name = setting.substr(0, equals), value = setting.substr(equals + 1);
        object.resolver.configure([&](mx::Settings &settings) { settings.set(name, value); },
                                  mx::Settings::affects_network(name));
    });
}

DWORD INETKIT_CALL MxGetConfig(HCLIENT hClient, LPCSTR lpszName, LPSTR lpszValue, LPDWORD lpcchValue) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        require_argument(lpszName, "lpszName");
        copy_out(object.resolver.settings().get(std::string_view(lpszName, strnlen(lpszName, 256))), lpszValue, lpcchValue);
    });
}

DWORD INETKIT_CALL MxSetResponseCallback(HCLIENT hClient, MXRESPONSEPROC lpfnResponse, LPVOID lpParam) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        object.response_proc = lpfnResponse;
        object.response_param = lpParam;
    });
}

DWORD INETKIT_CALL MxSetErrorCallback(HCLIENT hClient, MXERRORPROC lpfnError, LPVOID lpParam) noexcept {
    return with_resolver(hClient, [&](MxObject &object) {
        object.error_proc = lpfnError;
        object.error_param = lpParam;
    });
}

} // extern "C"
