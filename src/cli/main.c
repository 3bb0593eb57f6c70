/* A thin main over dc_cli_run, so tests can drive the engine in-process (as IOR does). */
#include "dcsweep/cli/cli.h"

int main(int argc, char **argv) { return dc_cli_run(argc, argv); }
