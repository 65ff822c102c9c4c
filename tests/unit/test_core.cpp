// Unit tests of the core pieces, linked against the engine objects directly:
// the handle table (generation retirement), the error store and catalogue,
// and the size-query copy.
// The engine headers come before cmocka.h, whose fail() macro would
// otherwise rewrite inetkit::fail.
#include "api/barrier.hpp"
#include "core/error.hpp"
#include "core/handle_table.hpp"
#include "core/last_error.hpp"

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
extern "C" {
#include <cmocka.h>
}

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

using namespace inetkit;

namespace {

struct Dummy final : HandleObject {
    explicit Dummy(HandleKind kind = HandleKind::InetConnection) : HandleObject(kind, false) {}
    void cancel_call() noexcept override { ++cancels; }
    void abort() noexcept override { ++aborts; }
    void begin_call() noexcept override {}
    int cancels = 0, aborts = 0;
};

ErrorCode code_of(void (*body)(HandleTable &, HCLIENT), HandleTable &table, HCLIENT handle, std::string *message) {
    try {
        body(table, handle);
    } catch (const Error &error) {
        if (message) *message = error.what();
        return error.code();
    }
    return INETKIT_ERROR_NONE;
}

void find_connection(HandleTable &table, HCLIENT handle) { table.find(handle, kind_bit(HandleKind::InetConnection)); }

void test_slot_retires_when_generation_would_wrap(void **) {
    HandleTable table(3); // a slot retires at generation 3
    std::set<HCLIENT> issued;
    HCLIENT first = table.insert(std::make_shared<Dummy>());
    issued.insert(first);
    table.close(first, any_inet_kind);
    HCLIENT second = table.insert(std::make_shared<Dummy>()); // same slot, generation 2
    table.close(second, any_inet_kind);
    HCLIENT third = table.insert(std::make_shared<Dummy>()); // same slot, generation 3
    table.close(third, any_inet_kind);                        // slot retired now
    HCLIENT fourth = table.insert(std::make_shared<Dummy>());
    for (HCLIENT h : {second, third, fourth}) assert_true(issued.insert(h).second); // never a repeat
    // Low bits are the slot index: the first three share a slot, the fourth does not.
    auto index = [](HCLIENT h) { return reinterpret_cast<std::uintptr_t>(h) & 0xFFFFFF; };
    assert_true(index(first) == index(third));
    assert_true(index(fourth) != index(third));
    for (HCLIENT stale : {first, second, third}) {
        std::string message;
        assert_int_equal(code_of(find_connection, table, stale, &message), INETKIT_ERROR_INVALID_HANDLE);
        assert_non_null(std::strstr(message.c_str(), "closed"));
    }
    assert_int_equal(code_of(find_connection, table, fourth, nullptr), INETKIT_ERROR_NONE);
}

void test_find_messages(void **) {
    HandleTable table;
    auto listener = std::make_shared<Dummy>(HandleKind::InetListener);
    HCLIENT h = table.insert(listener);
    std::string message;
    assert_int_equal(code_of(find_connection, table, h, &message), INETKIT_ERROR_INVALID_HANDLE);
    assert_non_null(std::strstr(message.c_str(), "is an Inet listener; this function needs an Inet connection"));
    auto forged = reinterpret_cast<HCLIENT>(reinterpret_cast<std::uintptr_t>(h) + (std::uintptr_t{5} << 32));
    assert_int_equal(code_of(find_connection, table, forged, &message), INETKIT_ERROR_INVALID_HANDLE);
    assert_non_null(std::strstr(message.c_str(), "never issued"));
    assert_int_equal(code_of(find_connection, table, INVALID_CLIENT, &message), INETKIT_ERROR_INVALID_HANDLE);
    // Closing aborts the object; closing again is refused.
    table.close(h, any_inet_kind);
    assert_int_equal(listener->aborts, 1);
    try {
        table.close(h, any_inet_kind);
        fail_msg("second close accepted");
    } catch (const Error &error) {
        assert_int_equal(error.code(), INETKIT_ERROR_INVALID_HANDLE);
    }
    assert_int_equal(listener->aborts, 1);
}

void test_close_all_by_kind(void **) {
    HandleTable table;
    auto a = std::make_shared<Dummy>(HandleKind::InetConnection);
    auto b = std::make_shared<Dummy>(HandleKind::InetListener);
    HCLIENT ha = table.insert(a), hb = table.insert(b);
    table.close_all(kind_bit(HandleKind::InetListener));
    assert_int_equal(b->aborts, 1);
    assert_int_equal(a->aborts, 0);
    assert_int_equal(code_of(find_connection, table, ha, nullptr), INETKIT_ERROR_NONE);
    try {
        table.find(hb, any_inet_kind);
        fail_msg("closed listener still found");
    } catch (const Error &) {
    }
}

void test_error_store(void **) {
    last_error::clear();
    assert_int_equal(last_error::get().code, 0);
    assert_string_equal(last_error::get().message, "");
    last_error::set(INETKIT_ERROR_TIMED_OUT, "");
    assert_string_equal(last_error::get().message, "The operation timed out"); // catalogue text by default
    // Long messages are cut at a UTF-8 character boundary.
    std::string text(last_error::max_message - 1, 'a');
    text += "\xC3\xA9\xC3\xA9"; // two 2-byte characters across the limit
    last_error::set(INETKIT_ERROR_INTERNAL, text);
    assert_int_equal(last_error::get().length, last_error::max_message - 1);
    assert_int_equal(std::strlen(last_error::get().message), last_error::max_message - 1);
}

void test_catalogue(void **) {
#define CHECK_ENTRY(name, number, text)                     \
    assert_non_null(error_text(number));                     \
    assert_string_equal(error_text(number), text);           \
    assert_int_equal(INETKIT_ERROR_##name, number);
    INETKIT_ERROR_TABLE(CHECK_ENTRY)
#undef CHECK_ENTRY
    assert_null(error_text(1));
    assert_null(error_text(99999));
    assert_int_equal(error_from_errno(ECONNREFUSED), 10061);
    assert_int_equal(error_from_errno(ETIMEDOUT), 10060);
    assert_int_equal(error_from_errno(ECONNRESET), 10054);
    assert_int_equal(error_from_errno(EHOSTUNREACH), 10065);
    assert_int_equal(error_from_errno(ENETUNREACH), 10051);
    assert_int_equal(error_from_errno(EADDRINUSE), 10048);
    assert_int_equal(error_from_errno(ENOMEM), INETKIT_ERROR_NOT_ENOUGH_MEMORY);
    assert_int_equal(error_from_errno(EXDEV), INETKIT_ERROR_SYSTEM);
}

void test_copy_string(void **) {
    char buffer[6];
    DWORD size = sizeof buffer;
    assert_int_equal(api::copy_string("hello", buffer, &size), 0);
    assert_string_equal(buffer, "hello");
    assert_int_equal(size, 5);
    size = 5;
    std::memset(buffer, 'z', sizeof buffer);
    assert_int_equal(api::copy_string("hello", buffer, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 6);
    assert_int_equal(buffer[0], 'z'); // untouched on failure
    size = 100;
    assert_int_equal(api::copy_string("hello", nullptr, &size), INETKIT_ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 6);
    assert_int_equal(api::copy_string("hello", buffer, nullptr), INETKIT_ERROR_INVALID_PARAMETER);
}

void test_barrier_maps_every_exception(void **) {
    assert_int_equal(api::guarded([] { throw Error(INETKIT_ERROR_BUSY, "busy"); }), INETKIT_ERROR_BUSY);
    assert_string_equal(last_error::get().message, "busy");
    assert_int_equal(api::guarded([] { throw std::bad_alloc(); }), INETKIT_ERROR_NOT_ENOUGH_MEMORY);
    assert_int_equal(api::guarded([] { throw std::runtime_error("boom"); }), INETKIT_ERROR_INTERNAL);
    assert_string_equal(last_error::get().message, "internal error: boom");
    assert_int_equal(api::guarded([] { throw 42; }), INETKIT_ERROR_INTERNAL);
    assert_int_equal(api::guarded([] {}), INETKIT_ERROR_NONE);
    assert_int_equal(last_error::get().code, 0);
    assert_true(api::guarded_create([]() -> HCLIENT { throw std::bad_alloc(); }) == INVALID_CLIENT);
    assert_int_equal(last_error::get().code, INETKIT_ERROR_NOT_ENOUGH_MEMORY);
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_retires_when_generation_would_wrap),
        cmocka_unit_test(test_find_messages),
        cmocka_unit_test(test_close_all_by_kind),
        cmocka_unit_test(test_error_store),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_copy_string),
        cmocka_unit_test(test_barrier_maps_every_exception),
    };
    return cmocka_run_group_tests_name("core_unit", tests, nullptr, nullptr);
}
