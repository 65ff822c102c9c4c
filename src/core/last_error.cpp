#include "core/last_error.hpp"

#include <cstring>

namespace inetkit::last_error {
namespace {
thread_local Record record = {INETKIT_ERROR_NONE, 0, {0}};

// Cut at max_message bytes without splitting a UTF-8 sequence.
std::size_t utf8_prefix(std::string_view text, std::size_t limit) noexcept {
    if (text.size() <= limit) return text.size();
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return end;
}
} // namespace

const Record &get() noexcept { return record; }

void clear() noexcept {
    record.code = INETKIT_ERROR_NONE;
    record.length = 0;
    record.message[0] = '\0';
}

void set(ErrorCode code, std::string_view message) noexcept {
    if (message.empty()) {
        const char *text = error_text(code);
        message = text ? text : "Unknown error";
    }
    record.code = code;
    record.length = utf8_prefix(message, max_message);
    std::memcpy(record.message, message.data(), record.length);
    record.message[record.length] = '\0';
}

} // namespace inetkit::last_error
