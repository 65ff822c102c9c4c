#include "core/library.hpp"

#include "core/error.hpp"

#include <ares.h>
#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
#include <string>

namespace inetkit::library {
namespace {

struct FamilyInfo {
    const char *initialize_function;
    KindMask kinds;
};
constexpr FamilyInfo families[] = {
    {"InetInitialize", any_inet_kind},
    {"PopInitialize", pop_kind},
    {"MxInitialize", mx_kind},
};
static_assert(sizeof families / sizeof families[0] == static_cast<std::size_t>(Family::Count_));

std::mutex init_mutex;
std::atomic<unsigned> references[static_cast<std::size_t>(Family::Count_)];
unsigned total_references = 0; // guarded by init_mutex

const FamilyInfo &info(Family family) { return families[static_cast<std::size_t>(family)]; }
std::atomic<unsigned> &count(Family family) { return references[static_cast<std::size_t>(family)]; }

void initialize_dependencies() {
    if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr) != 1)
        fail(INETKIT_ERROR_SECURITY_LIBRARY, "OpenSSL could not be initialised");
    int status = ares_library_init(ARES_LIB_INIT_ALL);
    if (status != ARES_SUCCESS)
        fail(INETKIT_ERROR_INTERNAL, std::string("c-ares could not be initialised: ") + ares_strerror(status));
}

} // namespace

unsigned initialize(Family family) {
    std::lock_guard lock(init_mutex);
    if (total_references == 0) initialize_dependencies();
    ++total_references;
    return ++count(family);
}

void uninitialize(Family family) {
    std::lock_guard lock(init_mutex);
    if (count(family).load() == 0)
        fail(INETKIT_ERROR_NOT_INITIALIZED,
             std::string("uninitialize without a matching ") + info(family).initialize_function);
    if (--count(family) == 0) HandleTable::instance().close_all(info(family).kinds);
    // OpenSSL cleans itself up at exit; c-ares keeps a reference count of its own.
    if (--total_references == 0) ares_library_cleanup();
}

void require(Family family) {
    if (count(family).load() == 0)
        fail(INETKIT_ERROR_NOT_INITIALIZED,
             std::string(info(family).initialize_function) + " has not been called");
}

} // namespace inetkit::library
