-- CreateTable
CREATE TABLE "MergeJobPart" (
    "jobId" TEXT NOT NULL,
    "shardIndex" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "owner" TEXT,
    "bytesDone" REAL NOT NULL DEFAULT 0,
    "bytesTotal" REAL NOT NULL,
    "tensorsDone" INTEGER NOT NULL DEFAULT 0,
    "tensorsTotal" INTEGER NOT NULL,
    "blobHash" TEXT,
    "hashesJson" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("jobId", "shardIndex"),
    CONSTRAINT "MergeJobPart_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "MergeJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "MergeJobPart_blobHash_idx" ON "MergeJobPart"("blobHash");
