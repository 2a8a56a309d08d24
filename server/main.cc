// andante: a drop-in replacement for Grafana Tempo.
//   andante -config.file=tempo.yaml [-config.expand-env=true]
#include "server.h"

int main(int argc, char** argv) { return andante::server::Main(argc, argv); }
