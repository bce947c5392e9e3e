import { useNavigate } from 'react-router-dom';
import type { CredentialSet } from './credential-sets.api.ts';
import { CloneSetDialog, DeleteSetDialog, RenameSetDialog, TagsDialog, type SetAction } from './set-dialogs.tsx';

export type SetActionState = { kind: SetAction; set: CredentialSet } | null;

/**
 * The rename, tags, clone and delete dialogs for whichever set an action was chosen on, from the
 * list or from the set's own page. A clone opens the copy; a delete from the set's page goes back.
 */
export function SetActionDialogs({
  state,
  onClose,
  afterDelete,
}: {
  state: SetActionState;
  onClose: () => void;
  afterDelete?: () => void;
}) {
  const navigate = useNavigate();
  const pick = (kind: SetAction) => (state?.kind === kind ? state.set : null);
  return (
    <>
      <RenameSetDialog set={pick('rename')} onClose={onClose} />
      <TagsDialog set={pick('tags')} onClose={onClose} />
      <CloneSetDialog
        set={pick('clone')}
        onClose={onClose}
        onCloned={(copy) => {
          onClose();
          navigate(`/sip-credentials/${copy.id}`);
        }}
      />
      <DeleteSetDialog set={pick('delete')} onClose={onClose} onDeleted={afterDelete} />
    </>
  );
}
