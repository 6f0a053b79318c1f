// The prefetch hint is a static inline function in include/seed_prefetch.h; SwiftPM needs one source file
// to build the module.
#include "seed_prefetch.h"
