// Ctrl-C and SIGTERM for long jobs: the handler only raises a flag, and loops
// poll it, stop, and clean up (remove a partial output) before returning.
#ifndef FLEETCAST_PLATFORM_INTERRUPT_H_
#define FLEETCAST_PLATFORM_INTERRUPT_H_

namespace fleetcast {

/// Installs the SIGINT and SIGTERM handlers; call once from main.
void InstallInterruptHandler();
/// True once SIGINT or SIGTERM has arrived.
bool Interrupted();

}  // namespace fleetcast

#endif  // FLEETCAST_PLATFORM_INTERRUPT_H_
