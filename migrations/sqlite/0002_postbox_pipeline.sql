CREATE TABLE `efile_replies` (
	`office_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`thread_id` text NOT NULL,
	`message_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`office_id`, `idempotency_key`),
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `inbound_mails` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`state` text NOT NULL,
	`reason` text,
	`channel` text NOT NULL,
	`size` integer NOT NULL,
	`header_count` integer NOT NULL,
	`part_count` integer NOT NULL,
	`attachment_count` integer NOT NULL,
	`blob_key` text,
	`thread_id` text,
	`message_id` text,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `inbound_mails_office_state_idx` ON `inbound_mails` (`office_id`,`state`,`received_at`);--> statement-breakpoint
CREATE TABLE `notices` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`citizen_id` text,
	`customer_number` text NOT NULL,
	`sender_notice_id` text NOT NULL,
	`notice_type` text NOT NULL,
	`digital` integer NOT NULL,
	`document_kind` text NOT NULL,
	`document_state` text NOT NULL,
	`document_detail` text,
	`blob_key` text,
	`dek_wrapped` blob NOT NULL,
	`dek_key_id` text NOT NULL,
	`subject_enc` blob NOT NULL,
	`text_enc` blob,
	`address_enc` blob,
	`thread_id` text,
	`reference` text NOT NULL,
	`state` text NOT NULL,
	`channel` text,
	`channel_reason` text,
	`decision` text,
	`decided_at` integer,
	`message_id` text,
	`provided_at` integer,
	`notify_state` text NOT NULL,
	`notify_error` text,
	`notified_at` integer,
	`retrieved_at` integer,
	`deemed_on` text,
	`legal_basis` text,
	`fallback_reason` text,
	`created_by_staff_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notices_sender_uq` ON `notices` (`office_id`,`sender_notice_id`);--> statement-breakpoint
CREATE INDEX `notices_message_idx` ON `notices` (`message_id`);--> statement-breakpoint
CREATE INDEX `notices_citizen_idx` ON `notices` (`citizen_id`);--> statement-breakpoint
CREATE INDEX `notices_state_idx` ON `notices` (`channel`,`state`);--> statement-breakpoint
CREATE INDEX `notices_office_created_idx` ON `notices` (`office_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`message_id` text NOT NULL,
	`channel` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer NOT NULL,
	`error` text,
	`external_id` text,
	`created_at` integer NOT NULL,
	`claimed_at` integer,
	`sent_at` integer,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_message_channel_uq` ON `notifications` (`message_id`,`channel`);--> statement-breakpoint
CREATE INDEX `notifications_citizen_state_idx` ON `notifications` (`citizen_id`,`state`);--> statement-breakpoint
CREATE TABLE `postal_addresses` (
	`citizen_id` text PRIMARY KEY NOT NULL,
	`address_enc` blob NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `print_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`notice_id` text NOT NULL,
	`office_id` text NOT NULL,
	`state` text NOT NULL,
	`reason` text NOT NULL,
	`blob_key` text NOT NULL,
	`pages` integer NOT NULL,
	`bytes` integer NOT NULL,
	`export_batch` text,
	`created_at` integer NOT NULL,
	`exported_at` integer,
	`handed_over_at` integer,
	FOREIGN KEY (`notice_id`) REFERENCES `notices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `print_jobs_notice_uq` ON `print_jobs` (`notice_id`);--> statement-breakpoint
CREATE INDEX `print_jobs_state_idx` ON `print_jobs` (`state`);--> statement-breakpoint
CREATE TABLE `routing_rule_versions` (
	`office_id` text NOT NULL,
	`version` integer NOT NULL,
	`rules` text NOT NULL,
	`changed_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`office_id`, `version`),
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `service_center_items` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`message_id` text NOT NULL,
	`thread_id` text NOT NULL,
	`queue` text NOT NULL,
	`state` text NOT NULL,
	`claimed_by` text,
	`lease_until` integer,
	`due_at` integer NOT NULL,
	`overdue` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_center_items_delivery_uq` ON `service_center_items` (`delivery_id`);--> statement-breakpoint
CREATE INDEX `service_center_items_queue_idx` ON `service_center_items` (`office_id`,`queue`,`state`,`due_at`);--> statement-breakpoint
CREATE INDEX `service_center_items_due_idx` ON `service_center_items` (`state`,`due_at`);--> statement-breakpoint
ALTER TABLE `attachments` ADD `quarantined_at` integer;--> statement-breakpoint
ALTER TABLE `attachments` ADD `purged_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `checked_at` integer;--> statement-breakpoint
CREATE INDEX `messages_trashed_idx` ON `messages` (`trashed_at`);--> statement-breakpoint
CREATE INDEX `deliveries_external_idx` ON `deliveries` (`destination_kind`,`external_id`);