"""A SPARQL 1.1 Protocol endpoint over a celebgraph store, on Starlette and uvicorn.

``/sparql`` answers queries sent by GET (``?query=``) or POST (an HTML form's ``query=``,
or the query itself as ``application/sparql-query``), in the format the ``Accept`` header
asks for: SPARQL JSON (the default), XML, CSV or TSV for SELECT and ASK; Turtle (the
default), N-Triples, JSON-LD or RDF/XML for CONSTRUCT and DESCRIBE. A GET without a query
answers the service description (RDF). Queries see the union of all graphs as their
default graph (unless ``FROM`` or the protocol's ``default-graph-uri`` / ``named-graph-uri``
name the dataset), have celebgraph's prefixes predefined and the endpoint's URL as base IRI.

The server is read-only unless it was started with an update token: then SPARQL Update
(POST ``application/sparql-update`` or form ``update=``) is run for requests that carry
``Authorization: Bearer TOKEN``, and refused with 403 otherwise. ``SERVICE`` and ``LOAD``
of remote IRIs are refused (400) unless federation is allowed, and loopback, private and
link-local addresses even then unless their host is listed.

Limits. Every query runs in a worker process from a small pool (Oxigraph cannot interrupt
a query running in a thread), reached through a fair queue (round robin over client
addresses). One that exceeds ``timeout`` seconds or ``max_memory_mb`` of resident memory
has its worker killed and replaced, and gets 503 while the other workers go on serving.
SELECT solutions and CONSTRUCT/DESCRIBE triples are cut after ``max_rows`` (header
``X-Result-Truncated: true``; ``X-Result-Limit`` always says the limit). Text nested too
deeply or too long for the engine's parser is refused (400) before it reaches it.

Store access. Read-only servers open the store read-only in each worker (no lock, so an
ingest may run alongside; a worker reopens the store when its files change, and starts a
read over on a fresh open when a writer's compaction removed a file under it). An
update-enabled server runs a single worker that holds the store read-write, so queries and
updates are served one at a time and no ingest can run while it is up.

Layout: ``config`` (ServerConfig), ``formats`` (media types, negotiation), ``sparql_text``
(dataset clause, SERVICE/LOAD targets, USING), ``protocol`` (requests → jobs → responses,
service description), ``worker`` (the worker process), ``pool`` (workers, fair queue),
``app`` (Starlette routes, pages and their CSP, uvicorn).
"""

from celebgraph.server.app import SparqlServer, make_server, query_page, serve
from celebgraph.server.config import ServerConfig
from celebgraph.server.formats import negotiate

__all__ = ["ServerConfig", "SparqlServer", "make_server", "negotiate", "query_page", "serve"]
