CREATE TABLE `activation_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`customer_number` text NOT NULL,
	`code_hash` blob NOT NULL,
	`expires_at` integer NOT NULL,
	`failed_attempts` integer NOT NULL,
	`voided_at` integer,
	`used_at` integer,
	`used_by_citizen_id` text,
	`created_by_staff_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `activation_codes_hash_uq` ON `activation_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `activation_codes_customer_idx` ON `activation_codes` (`office_id`,`customer_number`);--> statement-breakpoint
CREATE TABLE `email_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`purpose` text NOT NULL,
	`token_hash` blob NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_tokens_hash_uq` ON `email_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `email_tokens_citizen_idx` ON `email_tokens` (`citizen_id`);--> statement-breakpoint
CREATE TABLE `passkeys` (
	`id` text PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`public_key` blob NOT NULL,
	`counter` integer NOT NULL,
	`transports` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `passkeys_citizen_idx` ON `passkeys` (`citizen_id`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `recovery_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`code_hash` blob NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `recovery_codes_citizen_idx` ON `recovery_codes` (`citizen_id`);--> statement-breakpoint
CREATE TABLE `totp_factors` (
	`citizen_id` text PRIMARY KEY NOT NULL,
	`secret_enc` blob NOT NULL,
	`confirmed_at` integer,
	`last_used_step` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `citizens` ADD `phone_enc` blob;--> statement-breakpoint
ALTER TABLE `citizens` ADD `sms_appointments` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `citizens` ADD `consent_version` text;--> statement-breakpoint
ALTER TABLE `citizens` ADD `password_changed_at` integer;--> statement-breakpoint
ALTER TABLE `sessions` ADD `mfa_method` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `challenge` text;