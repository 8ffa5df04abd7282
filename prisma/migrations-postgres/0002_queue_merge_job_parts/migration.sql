-- CreateTable
CREATE TABLE "MergeJobPart" (
    "jobId" TEXT NOT NULL,
    "shardIndex" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "owner" TEXT,
    "bytesDone" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "bytesTotal" DOUBLE PRECISION NOT NULL,
    "tensorsDone" INTEGER NOT NULL DEFAULT 0,
    "tensorsTotal" INTEGER NOT NULL,
    "blobHash" TEXT,
    "hashesJson" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MergeJobPart_pkey" PRIMARY KEY ("jobId","shardIndex")
);

-- CreateIndex
CREATE INDEX "MergeJobPart_blobHash_idx" ON "MergeJobPart"("blobHash");

-- AddForeignKey
ALTER TABLE "MergeJobPart" ADD CONSTRAINT "MergeJobPart_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "MergeJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;
