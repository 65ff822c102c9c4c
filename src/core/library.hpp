// Reference-counted, thread-safe global initialisation per family.
#pragma once

#include "core/handle_table.hpp"

namespace inetkit::library {

enum class Family { Inet, Pop, Mx, Count_ };

// Takes a reference; the first reference of any family initialises OpenSSL
// and c-ares. Returns the family's new reference count.
unsigned initialize(Family family);
// Drops a reference; the family's last one closes its open handles.
// Throws NOT_INITIALIZED when the family holds no reference.
void uninitialize(Family family);
// Throws NOT_INITIALIZED unless the family holds a reference.
void require(Family family);

} // namespace inetkit::library
