// Lets members of the owner team yank a version (it stays downloadable for them and entitled users).
"use client";

import { ConfirmActionButton } from "./ConfirmActionButton";

export function YankButton({ versionId, version }: { versionId: string; version: string }) {
  return (
    <ConfirmActionButton
      url={`/api/v1/versions/${encodeURIComponent(versionId)}/yank`}
      confirm={`Yank version ${version}? New users will no longer be able to download it.`}
      label="Yank"
      testId={`yank-${version}`}
    />
  );
}
