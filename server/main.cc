// andante: a drop-in replacement for Grafana Tempo.
//   andante -config.file=tempo.yaml [-config.expand-env=true]
#include "server.h"

#ifdef ANDANTE_WITH_JEMALLOC
// jemalloc's options, read at its first allocation (MALLOC_CONF in the
// environment adds to and overrides them). Without a background thread,
// jemalloc returns freed pages to the kernel (dirty_decay_ms after they
// were freed) only from inside later malloc and free calls, so a server
// that goes idle after a burst kept every page the burst had freed: 50-70
// MB after a max-rate run (docs/ingest-pipeline.md). The background
// thread purges on the decay schedule whether or not anything allocates.
extern "C" {
// NOLINTNEXTLINE: the name is jemalloc's.
const char* malloc_conf = "background_thread:true";
}
#endif

int main(int argc, char** argv) { return andante::server::Main(argc, argv); }
