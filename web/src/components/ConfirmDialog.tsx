/** The confirm dialog itself (components/Confirm.tsx), in its own chunk with react-aria-components. */
import { Dialog, Heading, Modal, ModalOverlay } from "react-aria-components";

export function ConfirmDialog({ text, action, onAnswer }: { text: string; action: string; onAnswer(ok: boolean): void }) {
  return (
    <ModalOverlay className="confirm-overlay" isOpen isDismissable onOpenChange={(open) => !open && onAnswer(false)}>
      <Modal className="confirm-modal">
        <Dialog role="alertdialog" className="confirm-dialog">
          <Heading slot="title" className="confirm-title">Are you sure?</Heading>
          <p>{text}</p>
          <div className="confirm-actions">
            <button type="button" className="button button-quiet" onClick={() => onAnswer(false)}>Cancel</button>
            <button type="button" className="button button-danger" autoFocus onClick={() => onAnswer(true)}>{action}</button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
