/**
 * @file
 * inetkit.h - the umbrella header: include this one.
 *
 * inetkit is a C library of internet components with a Win32-style handle
 * API. Start with inetkit/common.h (conventions shared by every function),
 * then the family headers.
 */
#ifndef INETKIT_H
#define INETKIT_H

#include "inetkit/common.h"
#include "inetkit/inet.h"
#include "inetkit/pop.h"
#include "inetkit/mx.h"

#endif /* INETKIT_H */
