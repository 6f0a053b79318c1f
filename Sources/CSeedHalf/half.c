// The conversions are static inline functions in include/seed_half.h; SwiftPM needs one source file to
// build the module.
#include "seed_half.h"
