// The byte runs are static inline functions in include/seed_scan.h; SwiftPM needs one source file to
// build the module.
#include "seed_scan.h"
