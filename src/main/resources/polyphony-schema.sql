CREATE TABLE IF NOT EXISTS INGEST_FILE (
    JOB_INSTANCE_ID  BIGINT        NOT NULL,
    SEQ              INT           NOT NULL,
    JOB_EXECUTION_ID BIGINT        NOT NULL,
    PATH             VARCHAR(4096) NOT NULL,
    ROOM             VARCHAR(64),
    OUTCOME          VARCHAR(16)   NOT NULL,
    REASON           VARCHAR(32),
    MESSAGE          VARCHAR(2000),
    CHUNKS           INT           NOT NULL,
    TOTAL_CHUNKS     INT           NOT NULL,
    PRIMARY KEY (JOB_INSTANCE_ID, SEQ)
);

-- Which process runs an execution, so that start-up recovery never takes over a live run of another process.
CREATE TABLE IF NOT EXISTS INGEST_RUN_OWNER (
    JOB_EXECUTION_ID BIGINT       NOT NULL PRIMARY KEY,
    HOST             VARCHAR(255) NOT NULL,
    PID              BIGINT       NOT NULL,
    STARTED_AT       TIMESTAMP    NOT NULL
);

-- One row per interrupted execution recovered at start-up: the primary key lets exactly one process claim it.
CREATE TABLE IF NOT EXISTS INGEST_RECOVERY (
    JOB_EXECUTION_ID BIGINT       NOT NULL PRIMARY KEY,
    HOST             VARCHAR(255) NOT NULL,
    PID              BIGINT       NOT NULL,
    RECOVERED_AT     TIMESTAMP    NOT NULL
);

-- Rooms evicted under memory pressure: when, why, how much they freed.
CREATE TABLE IF NOT EXISTS ROOM_EVICTION (
    ID          BIGINT AUTO_INCREMENT PRIMARY KEY,
    ROOM        VARCHAR(64)   NOT NULL,
    EVICTED_AT  TIMESTAMP     NOT NULL,
    LAST_ACTIVE TIMESTAMP,
    REASON      VARCHAR(1000) NOT NULL,
    BYTES       BIGINT        NOT NULL,
    CHUNKS      BIGINT        NOT NULL,
    DOCUMENTS   BIGINT        NOT NULL
);

-- Held while a job spec's run is checked and created, so two processes never both start the same job.
CREATE TABLE IF NOT EXISTS INGEST_SPEC_LAUNCH (
    SPEC       VARCHAR(64)  NOT NULL PRIMARY KEY,
    HOST       VARCHAR(255) NOT NULL,
    PID        BIGINT       NOT NULL,
    LOCKED_AT  TIMESTAMP    NOT NULL
);
